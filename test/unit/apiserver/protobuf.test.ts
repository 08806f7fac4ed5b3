import t from 'tap';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { decodeProtobufObject, PROTOBUF_MAGIC, protobufTypeFor } from '../../../pkg/apiserver/protobuf.js';
import { formatGoDuration, formatGoMicroTime, formatGoTime } from '../../../pkg/apiserver/protobuf-go-values.js';
import { isStatusError, type StatusError } from '../../../pkg/api/errors.js';

// The committed descriptor, read the same way a test client would encode with it.
const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(new URL('../../../../api-schemas/protobuf/k8s-descriptor.json', import.meta.url), 'utf8')) as protobuf.INamespace);

/** What a Go client writes: magic + runtime.Unknown{typeMeta, raw}. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const env = unknown.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Uint8Array.from([...PROTOBUF_MAGIC, ...env]);
}

function body(apiVersion: string, kind: string, typeName: string, obj: Record<string, unknown>): Uint8Array {
  const type = root.lookupType(typeName);
  return envelope(apiVersion, kind, type.encode(type.fromObject(obj)).finish());
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

// Go's encoder writes every value field, so the fixtures carry explicit zeros and empty strings.
const goMeta = { name: 'x', generateName: '', namespace: '', selfLink: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: {} };

t.test('a Deployment with zero-valued value and pointer fields', async (t) => {
  const obj = decodeProtobufObject(body('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
    metadata: goMeta,
    spec: {
      replicas: 0, // *int32: explicit zero must survive
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { ...goMeta, name: '', labels: { app: 'x' } },
        spec: {
          containers: [{
            name: 'c', image: 'busybox:1.35', command: ['sleep', '1'], workingDir: '', resources: {},
            terminationMessagePath: '', imagePullPolicy: '', stdin: false, tty: false,
            ports: [{ name: '', hostPort: 0, containerPort: 0, protocol: '', hostIP: '' }],
          }],
          restartPolicy: '', dnsPolicy: '', serviceAccountName: '', hostNetwork: false,
          automountServiceAccountToken: false, // *bool: explicit false must survive
        },
      },
      strategy: {}, minReadySeconds: 0, paused: false,
    },
    status: { observedGeneration: 0, replicas: 0 },
  }));
  t.same(obj, {
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: { name: 'x', creationTimestamp: null },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' }, creationTimestamp: null },
        spec: {
          // containerPort has no omitempty: Go writes the zero.
          containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '1'], resources: {}, ports: [{ containerPort: 0 }] }],
          automountServiceAccountToken: false,
        },
      },
      strategy: {},
    },
    status: {},
  });
});

t.test('an absent pointer field stays absent, so defaulting can fill it', async (t) => {
  const obj = decodeProtobufObject(body('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
    metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
  }));
  t.notOk('replicas' in (obj.spec as object));
});

t.test('ConfigMap and Secret: immutable false kept, bytes base64, empty values kept', async (t) => {
  const cm = decodeProtobufObject(body('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', {
    metadata: goMeta, immutable: false, data: { a: 'b', empty: '' }, binaryData: { bin: Uint8Array.of(0, 1, 2) },
  }));
  t.same(cm, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', creationTimestamp: null }, immutable: false, data: { a: 'b', empty: '' }, binaryData: { bin: 'AAEC' } });
  const secret = decodeProtobufObject(body('v1', 'Secret', 'k8s.io.api.core.v1.Secret', {
    metadata: goMeta, data: { user: Buffer.from('admin'), none: new Uint8Array() }, type: 'Opaque',
  }));
  t.same(secret.data, { user: 'YWRtaW4=', none: '' });
  t.equal(secret.type, 'Opaque');
  t.notOk('immutable' in secret);
});

t.test('quantities are their strings; a zero value-struct Quantity is "0"', async (t) => {
  const quota = decodeProtobufObject(body('v1', 'ResourceQuota', 'k8s.io.api.core.v1.ResourceQuota', {
    metadata: goMeta, spec: { hard: { cpu: { string: '500m' }, memory: { string: '1Gi' } } },
  }));
  t.same((quota.spec as { hard: unknown }).hard, { cpu: '500m', memory: '1Gi' });
  const pod = decodeProtobufObject(body('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
    metadata: goMeta,
    spec: { containers: [{ name: 'c', env: [{ name: 'E', value: '', valueFrom: { resourceFieldRef: { containerName: '', resource: 'limits.cpu', divisor: {} } } }] }] },
  }));
  const env = (pod.spec as { containers: { env: unknown[] }[] }).containers[0]?.env;
  t.same(env, [{ name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } }]);
});

t.test('Time is RFC 3339 in whole seconds; MicroTime keeps six fraction digits', async (t) => {
  const seconds = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
  const obj = decodeProtobufObject(body('coordination.k8s.io/v1', 'Lease', 'k8s.io.api.coordination.v1.Lease', {
    metadata: { ...goMeta, creationTimestamp: { seconds, nanos: 999_000_000 } },
    spec: { holderIdentity: '', leaseDurationSeconds: 0, renewTime: { seconds, nanos: 123_456_789 } },
  }));
  t.equal((obj.metadata as { creationTimestamp: unknown }).creationTimestamp, '2024-01-02T03:04:05Z');
  t.same(obj.spec, { holderIdentity: '', leaseDurationSeconds: 0, renewTime: '2024-01-02T03:04:05.123456Z' });
});

t.test('IntOrString decodes to a number or a string by its type', async (t) => {
  const svc = decodeProtobufObject(body('v1', 'Service', 'k8s.io.api.core.v1.Service', {
    metadata: goMeta,
    spec: { ports: [
      { name: 'a', protocol: 'TCP', port: 80, targetPort: { type: 0, intVal: 8080, strVal: '' }, nodePort: 0 },
      { name: 'b', protocol: 'TCP', port: 81, targetPort: { type: 1, intVal: 0, strVal: 'http' }, nodePort: 0 },
    ], type: 'ClusterIP' },
  }));
  t.same((svc.spec as { ports: unknown }).ports, [
    { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080 },
    { name: 'b', protocol: 'TCP', port: 81, targetPort: 'http' },
  ]);
  const pdb = decodeProtobufObject(body('policy/v1', 'PodDisruptionBudget', 'k8s.io.api.policy.v1.PodDisruptionBudget', {
    metadata: goMeta, spec: { minAvailable: { type: 1, strVal: '50%' } },
  }));
  t.same(pdb.spec, { minAvailable: '50%' });
});

t.test('int64 fields become JSON numbers; RawExtension becomes the embedded JSON', async (t) => {
  const rev = decodeProtobufObject(body('apps/v1', 'ControllerRevision', 'k8s.io.api.apps.v1.ControllerRevision', {
    metadata: goMeta, revision: 7, data: { raw: Buffer.from('{"spec":{"a":1}}') },
  }));
  t.equal(rev.revision, 7);
  t.same(rev.data, { spec: { a: 1 } });
});

t.test('inline embedded structs are flattened into their parent', async (t) => {
  const pod = decodeProtobufObject(body('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
    metadata: goMeta,
    spec: {
      containers: [{ name: 'c', livenessProbe: { handler: { exec: { command: ['true'] } }, periodSeconds: 5 } }],
      volumes: [{ name: 'v', volumeSource: { configMap: { localObjectReference: { name: 'cm' }, optional: false } } }],
    },
  }));
  const spec = pod.spec as { containers: { livenessProbe: unknown }[]; volumes: unknown[] };
  t.same(spec.containers[0]?.livenessProbe, { exec: { command: ['true'] }, periodSeconds: 5 });
  t.same(spec.volumes, [{ name: 'v', configMap: { name: 'cm', optional: false } }]);
});

t.test('typed creates of other groups resolve to their proto messages', async (t) => {
  t.equal(protobufTypeFor('rbac.authorization.k8s.io/v1', 'Role')?.fullName, '.k8s.io.api.rbac.v1.Role');
  t.equal(protobufTypeFor('authentication.k8s.io/v1', 'TokenRequest')?.fullName, '.k8s.io.api.authentication.v1.TokenRequest');
  t.equal(protobufTypeFor('autoscaling/v2', 'HorizontalPodAutoscaler')?.fullName, '.k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler');
  t.equal(protobufTypeFor('v1', 'DeleteOptions')?.fullName, '.k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  t.equal(protobufTypeFor('meta.k8s.io/v1', 'DeleteOptions')?.fullName, '.k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  t.equal(protobufTypeFor('v1', 'PodSpec'), undefined, 'a nested message is not a kind');
  t.equal(protobufTypeFor('example.com/v1', 'Widget'), undefined);
});

t.test('SelfSubjectAccessReview decodes with its spec', async (t) => {
  const obj = decodeProtobufObject(body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview', {
    metadata: goMeta,
    spec: { resourceAttributes: { namespace: 'default', verb: 'list', group: '', version: '', resource: 'pods', subresource: '', name: '' } },
    status: { allowed: false, denied: false, reason: '', evaluationError: '' },
  }));
  t.same(obj.spec, { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } });
  t.same(obj.status, { allowed: false }, 'allowed has no omitempty');
});

t.test('DeleteOptions with a zero grace period keeps it', async (t) => {
  const obj = decodeProtobufObject(body('v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', {
    gracePeriodSeconds: 0, propagationPolicy: 'Foreground',
  }));
  t.same(obj, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground' });
});

t.test('bad input is a 400 BadRequest, never a crash', async (t) => {
  const noMagic = statusOf(() => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}')));
  t.equal(noMagic.code, 400);
  t.match(noMagic.status.message, /expected prefix \[107 56 115 0\]/);
  t.equal(statusOf(() => decodeProtobufObject(Uint8Array.from([...PROTOBUF_MAGIC, 0x0a, 0xff, 0xff]))).code, 400);
  const unknownKind = statusOf(() => decodeProtobufObject(envelope('example.com/v1', 'Widget', new Uint8Array())));
  t.equal(unknownKind.code, 400);
  t.match(unknownKind.status.message, /no kind "Widget" is registered for version "example.com\/v1"/);
  t.equal(statusOf(() => decodeProtobufObject(envelope('v1', 'ConfigMap', Uint8Array.of(0x0a, 0x05, 0x01)))).code, 400);
  t.equal(statusOf(() => decodeProtobufObject(envelope('v1', '', new Uint8Array()))).code, 400);
  for (let seed = 1; seed <= 200; seed++) {
    let x = seed;
    const junk = Uint8Array.from({ length: 40 }, () => (x = (x * 1103515245 + 12345) % 2147483648) & 0xff);
    const raw = envelope('apps/v1', 'Deployment', junk);
    try {
      decodeProtobufObject(raw);
    } catch (e) {
      if (!isStatusError(e) || e.code !== 400) t.fail(`seed ${seed}: ${String(e)}`);
    }
  }
});

t.test('Go duration strings', async (t) => {
  t.equal(formatGoDuration(0n), '0s');
  t.equal(formatGoDuration(1500n), '1.5µs');
  t.equal(formatGoDuration(100_000_000n), '100ms');
  t.equal(formatGoDuration(2_500_000_000n), '2.5s');
  t.equal(formatGoDuration(60_000_000_000n), '1m0s');
  t.equal(formatGoDuration(3_600_000_000_000n), '1h0m0s');
  t.equal(formatGoDuration(259_200_000_000_000n), '72h0m0s');
  t.equal(formatGoDuration(-90_000_000_000n), '-1m30s');
});

t.test('Go time strings', async (t) => {
  t.equal(formatGoTime(0), '1970-01-01T00:00:00Z');
  t.equal(formatGoMicroTime(1_700_000_000, 5_000), '2023-11-14T22:13:20.000005Z');
  t.throws(() => formatGoTime(1e12));
});
