import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { StatusError, type FieldError } from '../../../../pkg/api/errors.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import type { StrategyContext } from '../../../../pkg/apiserver/strategy.js';
import { strategyFor } from '../../../../pkg/apiserver/registry/strategies.js';
import { findResource } from '../../../../pkg/api/resources.js';
import { defaultImagePullPolicy } from '../../../../pkg/apiserver/registry/core/pod-defaults.js';
import { podQosClass } from '../../../../pkg/apiserver/registry/core/pod-qos.js';

const strategy = strategyFor(findResource('', 'v1', 'pods')!);

function pod(spec: Partial<Pod['spec']> = {}, name = 'web'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox:1.35' }], ...spec } } as KubeObject;
}

function defaulted(p: KubeObject): KubeObject {
  strategy.defaults!(p);
  return p;
}

const messages = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.type}: ${e.message}`);

t.test('imagePullPolicy defaults from the image tag', async (t) => {
  const cases: [string, string][] = [
    ['busybox', 'Always'], ['busybox:latest', 'Always'], ['busybox:1.35', 'IfNotPresent'],
    ['localhost:5000/busybox', 'Always'], ['localhost:5000/busybox:1.35', 'IfNotPresent'],
    ['busybox@sha256:abcd', 'IfNotPresent'], ['registry.io/a/b:latest', 'Always'],
  ];
  for (const [image, want] of cases) t.equal(defaultImagePullPolicy(image), want, image);
});

t.test('pod defaults match what Kubernetes stores', async (t) => {
  const p = defaulted(pod({
    containers: [{
      name: 'app', image: 'nginx', ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '500m' } },
      livenessProbe: { httpGet: { port: 80 } },
    }],
    volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'scratch' }],
  }));
  const spec = p['spec'] as Pod['spec'] & object;
  t.match(spec, {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler', securityContext: {}, enableServiceLinks: true,
  });
  const c = spec.containers[0]!;
  t.equal(c.imagePullPolicy, 'Always');
  t.equal(c.terminationMessagePath, '/dev/termination-log');
  t.equal(c.terminationMessagePolicy, 'File');
  t.same(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  t.same(c.resources, { limits: { cpu: '500m' }, requests: { cpu: '500m' } });
  t.same(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  t.same(spec.volumes, [{ name: 'cfg', configMap: { name: 'c', defaultMode: 420 } }, { name: 'scratch', emptyDir: {} }]);
});

t.test('create sets phase Pending and the QoS class', async (t) => {
  const p = defaulted(pod());
  p['status'] = { phase: 'Running' };
  strategy.prepareForCreate!(p);
  t.same(p['status'], { phase: 'Pending', qosClass: 'BestEffort' });
});

t.test('QoS class as upstream computes it', async (t) => {
  const cases: { name: string; resources: { requests?: Record<string, string>; limits?: Record<string, string> }[]; want: string }[] = [
    { name: 'nothing set', resources: [{}], want: 'BestEffort' },
    { name: 'only non-qos resources', resources: [{ limits: { 'ephemeral-storage': '1Gi' } }], want: 'BestEffort' },
    { name: 'equal cpu and memory', resources: [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } }], want: 'Guaranteed' },
    { name: 'limits only (requests defaulted)', resources: [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], want: 'Guaranteed' },
    { name: 'request below limit', resources: [{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], want: 'Burstable' },
    { name: 'missing memory limit', resources: [{ requests: { cpu: '1' }, limits: { cpu: '1' } }], want: 'Burstable' },
    { name: 'one guaranteed, one best effort', resources: [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, {}], want: 'Burstable' },
    { name: 'zero requests ignored', resources: [{ requests: { cpu: '0' } }], want: 'BestEffort' },
  ];
  for (const c of cases) {
    const p: Pod = { spec: { containers: c.resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) } };
    t.equal(podQosClass(p), c.want, c.name);
  }
});

t.test('validation reports the common mistakes with upstream paths and words', async (t) => {
  const cases: { name: string; spec: Partial<Pod['spec']>; want: string[] }[] = [
    { name: 'valid', spec: {}, want: [] },
    { name: 'no containers', spec: { containers: [] }, want: ['spec.containers: FieldValueRequired: '] },
    { name: 'no image', spec: { containers: [{ name: 'app' }] }, want: ['spec.containers[0].image: FieldValueRequired: '] },
    {
      name: 'duplicate container name',
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] },
      want: ['spec.containers[1].name: FieldValueDuplicate: "a"'],
    },
    {
      name: 'bad container name',
      spec: { containers: [{ name: 'App', image: 'x' }] },
      want: ["spec.containers[0].name: FieldValueInvalid: \"App\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"],
    },
    {
      name: 'restart policy',
      spec: { restartPolicy: 'Sometimes' },
      want: ['spec.restartPolicy: FieldValueNotSupported: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
    {
      name: 'port out of range',
      spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] },
      want: ['spec.containers[0].ports[0].containerPort: FieldValueInvalid: 70000: must be between 1 and 65535, inclusive'],
    },
    {
      name: 'mount of a missing volume',
      spec: { containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      want: ['spec.containers[0].volumeMounts[0].name: FieldValueNotFound: "data"'],
    },
    {
      name: 'duplicate volume',
      spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }] },
      want: ['spec.volumes[1].name: FieldValueDuplicate: "v"'],
    },
    {
      name: 'request above limit',
      spec: { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] },
      want: ['spec.containers[0].resources.requests[cpu]: FieldValueInvalid: "2": must be less than or equal to cpu limit of 1'],
    },
  ];
  for (const c of cases) {
    const p = defaulted(pod(c.spec));
    t.same(messages(strategy.validate!(p)), c.want, c.name);
  }
});

t.test('pod updates may change only the images and a few fields', async (t) => {
  const old = defaulted(pod());
  const image = structuredClone(old);
  (image['spec'] as Pod['spec'] & object).containers[0]!.image = 'busybox:1.36';
  t.same(strategy.validateUpdate!(image, old), [], 'image change allowed');

  const toleration = structuredClone(old);
  (toleration['spec'] as Pod['spec'] & object).tolerations = [{ key: 'k', operator: 'Exists' }];
  t.same(strategy.validateUpdate!(toleration, old), [], 'toleration addition allowed');

  const env = structuredClone(old);
  (env['spec'] as Pod['spec'] & object).containers[0]!.env = [{ name: 'A', value: '1' }];
  const errs = strategy.validateUpdate!(env, old);
  t.equal(errs.length, 1);
  t.equal(errs[0]!.field, 'spec');
  t.equal(errs[0]!.type, 'FieldValueForbidden');
  t.ok(errs[0]!.message.startsWith('pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'));

  const added = structuredClone(old);
  (added['spec'] as Pod['spec'] & object).containers.push({ name: 'b', image: 'x' });
  t.same(messages(strategy.validateUpdate!(defaulted(added), old)), ['spec.containers: FieldValueForbidden: pod updates may not add or remove containers']);
});

t.test('update keeps status; status update keeps spec', async (t) => {
  const old = defaulted(pod());
  old['status'] = { phase: 'Running' };
  const upd = structuredClone(old);
  upd['status'] = { phase: 'Failed' };
  strategy.prepareForUpdate!(upd, old);
  t.same(upd['status'], { phase: 'Running' });
  const st = structuredClone(old);
  (st['spec'] as Pod['spec'] & object).nodeName = 'n1';
  st['status'] = { phase: 'Succeeded' };
  strategy.prepareForStatusUpdate!(st, old);
  t.equal((st['spec'] as Pod['spec'] & object).nodeName, undefined);
  t.same(st['status'], { phase: 'Succeeded' });
  const back = structuredClone(st);
  back['status'] = { phase: 'Running' };
  t.same(messages(strategy.validateStatusUpdate!(back, st)), ['status.phase: FieldValueForbidden: cannot transition from a terminal phase Succeeded to a non-terminal phase Running']);
});

function fakeCtx(classes: PriorityClass[]): StrategyContext {
  return {
    async get(group, plural, _ns, name) {
      if (group !== 'scheduling.k8s.io' || plural !== 'priorityclasses') return undefined;
      return classes.find((c) => c.metadata?.name === name) as KubeObject | undefined;
    },
  };
}

t.test('admission fills service account, default tolerations and priority', async (t) => {
  const p = defaulted(pod({ priorityClassName: 'high' }));
  await strategy.admit!(p, fakeCtx([{ metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' }]));
  const spec = p['spec'] as Pod['spec'] & object;
  t.equal(spec.serviceAccountName, 'default');
  t.equal(spec.serviceAccount, 'default');
  t.same(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  t.equal(spec.priority, 1000);
  t.equal(spec.preemptionPolicy, 'Never');
});

t.test('admission keeps tolerations the pod already has', async (t) => {
  const p = defaulted(pod({
    serviceAccountName: 'builder',
    tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }],
  }));
  await strategy.admit!(p, fakeCtx([]));
  const spec = p['spec'] as Pod['spec'] & object;
  t.equal(spec.serviceAccountName, 'builder');
  t.same(spec.tolerations?.map((x) => [x.key, x.tolerationSeconds]), [
    ['node.kubernetes.io/unreachable', 10], ['node.kubernetes.io/not-ready', 300],
  ]);
  t.equal(spec.priority, 0);
  t.equal(spec.preemptionPolicy, 'PreemptLowerPriority');

  const all = defaulted(pod({ tolerations: [{ operator: 'Exists' }] }));
  await strategy.admit!(all, fakeCtx([]));
  t.same((all['spec'] as Pod['spec'] & object).tolerations, [{ operator: 'Exists' }], 'a tolerate-everything toleration covers both');
});

t.test('priority admission refuses unknown classes and mismatched priorities', async (t) => {
  const missing = defaulted(pod({ priorityClassName: 'nope' }));
  const err = await strategy.admit!(missing, fakeCtx([])).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof StatusError);
  t.equal((err as StatusError).code, 403);
  t.equal((err as StatusError).message, 'pods "web" is forbidden: no PriorityClass with name nope was found');
  const system = defaulted(pod({ priorityClassName: 'system-node-critical' }));
  await strategy.admit!(system, fakeCtx([]));
  t.equal((system['spec'] as Pod['spec'] & object).priority, 2000001000);
  const mismatch = defaulted(pod({ priority: 5 }));
  await t.rejects(strategy.admit!(mismatch, fakeCtx([])), { code: 403 });
});

t.test('graceful delete: unbound or finished pods go at once', async (t) => {
  const p = defaulted(pod({ terminationGracePeriodSeconds: 12 }));
  t.equal(strategy.defaultGracePeriodSeconds!(p), 12);
  t.equal(strategy.deleteImmediately!(p), true, 'unscheduled');
  (p['spec'] as Pod['spec'] & object).nodeName = 'n1';
  p['status'] = { phase: 'Running' };
  t.equal(strategy.deleteImmediately!(p), false, 'running on a node');
  p['status'] = { phase: 'Succeeded' };
  t.equal(strategy.deleteImmediately!(p), true, 'finished');
});
