import t from 'tap';
import { applyStrategicMergePatch } from '../../../../pkg/apiserver/patch/strategic-merge-patch.js';
import type { PatchSchema } from '../../../../pkg/apiserver/patch/patch-schema.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { statusOf } from './status-of.js';
import { deploymentSchema, nodeSchema, podSchema } from './test-schema.js';

interface Case { name: string; schema?: PatchSchema; original: KubeObject; patch: unknown; want: KubeObject }

const podWith = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'p' }, spec });
const deployWithPod = (podSpec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject =>
  ({ metadata: { name: 'web' }, spec: { replicas: 1, ...extra, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } } });

const cases: Case[] = [
  {
    name: 'kubectl apply update body (wire §14): new image, env B deleted, minReadySeconds added',
    original: {
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old\n' } },
      spec: {
        replicas: 1,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [
          { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: 'a' }, { name: 'B', value: 'b' }] },
        ] } },
      },
    },
    patch: {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'new\n' } },
      spec: { minReadySeconds: 1, template: { spec: {
        '$setElementOrder/containers': [{ name: 'web' }],
        containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }], image: 'nginx:1.26', name: 'web' }],
      } } },
    },
    want: {
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'new\n' } },
      spec: {
        replicas: 1, minReadySeconds: 1,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [
          { name: 'web', image: 'nginx:1.26', env: [{ name: 'A', value: 'a' }] },
        ] } },
      },
    },
  },
  {
    name: 'kubectl set image merges containers by name and keeps their order',
    original: deployWithPod({ containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'side', image: 'busybox:1.35' }] }),
    patch: { spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox:1.36' }] } } } },
    want: deployWithPod({ containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'side', image: 'busybox:1.36' }] }),
  },
  {
    name: 'kubectl rollout restart adds the restartedAt annotation to the pod template',
    original: deployWithPod({ containers: [{ name: 'web', image: 'nginx' }] }),
    patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } } },
    want: {
      metadata: { name: 'web' },
      spec: { replicas: 1, template: {
        metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      } },
    },
  },
  {
    name: 'kubectl cordon sets spec.unschedulable',
    schema: nodeSchema,
    original: { metadata: { name: 'n1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
    patch: { spec: { unschedulable: true } },
    want: { metadata: { name: 'n1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }], unschedulable: true } },
  },
  {
    name: '$retainKeys on the deployment strategy drops rollingUpdate when switching to Recreate',
    original: { metadata: { name: 'web' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    want: { metadata: { name: 'web' }, spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: 'a retainKeys field without the directive merges normally',
    original: { metadata: { name: 'web' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { rollingUpdate: { maxUnavailable: 0 } } } },
    want: { metadata: { name: 'web' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } },
  },
  {
    name: 'finalizers merge as a set without duplicates',
    original: { metadata: { name: 'web', finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['a', 'b', 'c'] } },
    want: { metadata: { name: 'web', finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: 'a finalizer new to the list goes first, as upstream orders patch items absent from the live list',
    original: { metadata: { name: 'web', finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['x'] } },
    want: { metadata: { name: 'web', finalizers: ['x', 'a', 'b'] } },
  },
  {
    name: '$deleteFromPrimitiveList/finalizers removes the listed finalizers',
    original: { metadata: { name: 'web', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zz'] } },
    want: { metadata: { name: 'web', finalizers: ['a', 'c'] } },
  },
  {
    name: 'kubectl apply finalizer change: $setElementOrder, additions and $deleteFromPrimitiveList together',
    original: { metadata: { name: 'web', finalizers: ['a', 'b'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a'], finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { name: 'web', finalizers: ['c', 'a'] } },
  },
  {
    name: 'container ports merge by containerPort',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] }),
    patch: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 443, name: 'https' }] }] } },
    want: podWith({ containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443, name: 'https' }] }] }),
  },
  {
    name: 'a new container port without $setElementOrder lands before the live ones, as upstream',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] }),
    patch: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } },
    want: podWith({ containers: [{ name: 'c', ports: [{ containerPort: 8080 }, { containerPort: 80 }] }] }),
  },
  {
    name: 'env merges by name: change one, add one where $setElementOrder says',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }),
    patch: { spec: { containers: [{ name: 'c', '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }, { name: 'B' }], env: [{ name: 'C', value: '3' }, { name: 'B', value: '22' }] }] } },
    want: podWith({ containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }, { name: 'B', value: '22' }] }] }),
  },
  {
    name: 'volumes merge by name and $retainKeys swaps the volume source',
    schema: podSchema,
    original: podWith({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'keep', hostPath: { path: '/x' } }] }),
    patch: { spec: { volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' } }] } },
    want: podWith({ volumes: [{ name: 'data', configMap: { name: 'cfg' } }, { name: 'keep', hostPath: { path: '/x' } }] }),
  },
  {
    name: 'tolerations have no merge key and are replaced wholesale',
    schema: podSchema,
    original: podWith({ tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] }),
    patch: { spec: { tolerations: [{ key: 'c', operator: 'Exists' }] } },
    want: podWith({ tolerations: [{ key: 'c', operator: 'Exists' }] }),
  },
  {
    name: 'args are replaced wholesale',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'c', args: ['a', 'b'] }] }),
    patch: { spec: { containers: [{ name: 'c', args: ['z'] }] } },
    want: podWith({ containers: [{ name: 'c', args: ['z'] }] }),
  },
  {
    name: 'labels merge like merge-patch: null deletes, others set',
    original: { metadata: { name: 'web', labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { a: null, c: '3', missing: null } } },
    want: { metadata: { name: 'web', labels: { b: '2', c: '3' } } },
  },
  {
    name: '$patch: replace on a map replaces it',
    schema: podSchema,
    original: podWith({ nodeSelector: { zone: 'a', disk: 'hdd' } }),
    patch: { spec: { nodeSelector: { $patch: 'replace', disk: 'ssd' } } },
    want: podWith({ nodeSelector: { disk: 'ssd' } }),
  },
  {
    name: '$patch: replace inside a keyed list replaces the list',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }),
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'z' }] } },
    want: podWith({ containers: [{ name: 'c', image: 'z' }] }),
  },
  {
    name: '$patch: delete on a map empties it',
    original: { metadata: { name: 'web', labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: { metadata: { name: 'web', labels: {} } },
  },
  {
    name: '$patch: delete of a keyed element removes every element with that key; an absent key is a no-op',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ $patch: 'delete', name: 'b' }, { $patch: 'delete', name: 'nope' }] } },
    want: podWith({ containers: [{ name: 'a' }] }),
  },
  {
    name: 'the order of patch elements wins over the live order (upstream "preserve the order from the patch 2")',
    schema: podSchema,
    original: podWith({ containers: [{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }] }),
    patch: { spec: { containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }] } },
    want: podWith({ containers: [{ name: '2', image: 'b' }, { name: '3', image: 'c' }, { name: '1', image: 'a' }] }),
  },
  {
    name: '$setElementOrder alone reorders a keyed list and ignores names not in it',
    schema: podSchema,
    original: podWith({ containers: [{ name: 'a' }, { name: 'b' }] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'zz' }, { name: 'a' }] } },
    want: podWith({ containers: [{ name: 'b' }, { name: 'a' }] }),
  },
  {
    name: '$setElementOrder on a primitive merge list',
    original: { metadata: { name: 'web', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a', 'b'] } },
    want: { metadata: { name: 'web', finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: 'a keyed list the original lacks is taken from the patch without its directives',
    schema: podSchema,
    original: podWith({}),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: null }] }] } },
    want: podWith({ containers: [{ name: 'a', image: 'x', env: [{ name: 'E' }] }] }),
  },
  {
    name: 'ownerReferences merge by uid',
    original: { metadata: { name: 'web', ownerReferences: [{ apiVersion: 'apps/v1', uid: 'u1', name: 'a', kind: 'ReplicaSet' }] } },
    patch: { metadata: { ownerReferences: [{ uid: 'u1', name: 'b' }] } },
    want: { metadata: { name: 'web', ownerReferences: [{ apiVersion: 'apps/v1', uid: 'u1', name: 'b', kind: 'ReplicaSet' }] } },
  },
  {
    name: 'fields absent from the schema merge like merge-patch: maps merge, lists replace',
    schema: podSchema,
    original: { metadata: { name: 'p' }, status: { phase: 'Running', conditions: [{ type: 'Ready' }], extra: { a: 1 } } },
    patch: { status: { conditions: [{ type: 'Initialized' }], extra: { a: null, b: 2 } } },
    want: { metadata: { name: 'p' }, status: { phase: 'Running', conditions: [{ type: 'Initialized' }], extra: { b: 2 } } },
  },
  {
    name: 'a value of another type replaces the original one',
    original: { metadata: { name: 'web' }, spec: { replicas: 1, template: 'weird' } },
    patch: { spec: { replicas: '2', template: { metadata: { labels: { a: 'b' } } } } },
    want: { metadata: { name: 'web' }, spec: { replicas: '2', template: { metadata: { labels: { a: 'b' } } } } },
  },
  {
    name: 'a JSON null patch changes nothing',
    original: { metadata: { name: 'web' } },
    patch: null,
    want: { metadata: { name: 'web' } },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.strictSame(applyStrategicMergePatch(c.original, c.patch, c.schema ?? deploymentSchema), c.want);
  });
}

t.test('neither the original nor the patch is mutated, and the result shares nothing with them', async (t) => {
  const original = deployWithPod({ containers: [{ name: 'web', image: 'a', env: [{ name: 'A', value: '1' }] }] });
  const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'web', $retainKeys: ['name', 'env'], env: [{ $patch: 'delete', name: 'A' }] }] } } } };
  const before = structuredClone(original);
  const patchBefore = structuredClone(patch);
  const result = applyStrategicMergePatch(original, patch, deploymentSchema);
  t.strictSame(original, before);
  t.strictSame(patch, patchBefore);
  (result.metadata as { name: string }).name = 'changed';
  t.equal(original.metadata?.name, 'web');
});

interface ErrorCase { name: string; schema?: PatchSchema; original?: KubeObject; patch: unknown; code: number; reason?: string; message: string }

const errorCases: ErrorCase[] = [
  {
    name: 'a body that is not an object is 400 BadRequest',
    patch: [{ op: 'add' }], code: 400, reason: 'BadRequest',
    message: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
  },
  {
    name: 'a keyed list element without its merge key is 400 with the bare mergepatch message (upstream: 500)',
    schema: podSchema, original: podWith({ containers: [{ name: 'a' }] }),
    patch: { spec: { containers: [{ image: 'x' }] } }, code: 400, reason: 'BadRequest',
    message: 'map: map[image:x] does not contain declared merge key: name',
  },
  {
    name: 'a delete directive without the merge key is 400 (upstream: 500)',
    schema: podSchema, original: podWith({ containers: [{ name: 'a' }] }),
    patch: { spec: { containers: [{ $patch: 'delete' }] } }, code: 400, reason: 'BadRequest',
    message: 'map: map[$patch:delete] does not contain declared merge key: name',
  },
  {
    name: '$retainKeys that is not a list is 400',
    patch: { spec: { strategy: { $retainKeys: 'type', type: 'Recreate' } } }, code: 400, reason: 'BadRequest',
    message: 'invalid patch format of retainKeys',
  },
  {
    name: 'a patch setting a key its $retainKeys omits is 400',
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } }, code: 400,
    reason: 'BadRequest', message: 'invalid patch format of retainKeys',
  },
  {
    name: 'a $setElementOrder key without a field name is 400',
    patch: { metadata: { $setElementOrder: ['a'] } }, code: 400, reason: 'BadRequest',
    message: 'invalid patch format of setElementOrder list',
  },
  {
    name: 'a $deleteFromPrimitiveList key without a field name is 400',
    patch: { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }, code: 400, reason: 'BadRequest',
    message: 'invalid patch format of primitive list',
  },
  {
    name: '$patch: merge on a map is an unknown patch type: 400 (upstream: 500)',
    patch: { metadata: { labels: { $patch: 'merge', a: 'b' } } }, code: 400, reason: 'BadRequest',
    message: 'unknown patch type: merge in map: map[$patch:merge a:b]',
  },
  {
    name: '$patch: merge inside a list is rejected: 400 (upstream: 500)',
    schema: podSchema, original: podWith({ containers: [{ name: 'a' }] }),
    patch: { spec: { containers: [{ $patch: 'merge' }] } }, code: 400, reason: 'BadRequest',
    message: 'merging lists cannot yet be specified in the patch',
  },
  {
    name: 'a list of lists in a merge list is 422',
    original: { metadata: { name: 'web', finalizers: [] } },
    patch: { metadata: { finalizers: [['b']] } }, code: 422, reason: 'Invalid',
    message: 'the server rejected our request due to an error in our request',
  },
  {
    name: 'patch elements out of the $setElementOrder order are 400 (upstream: 500)',
    schema: podSchema, original: podWith({ containers: [{ name: 'a' }, { name: 'b' }] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] } },
    code: 400, reason: 'BadRequest',
    message: 'The order in patch list:\n[map[name:b] map[name:a]]\n doesn\'t match $setElementOrder list:\n[map[name:a] map[name:b]]\n',
  },
];

for (const c of errorCases) {
  t.test(c.name, async (t) => {
    const original = c.original ?? { metadata: { name: 'web', labels: { a: '1' } }, spec: { strategy: { type: 'RollingUpdate' } } };
    const status = statusOf(() => applyStrategicMergePatch(original, c.patch, c.schema ?? deploymentSchema));
    t.equal(status?.code, c.code);
    t.equal(status?.reason, c.reason);
    t.equal(status?.message, c.message);
  });
}

t.test('a list-of-lists error carries the mergepatch message as its cause', async (t) => {
  const status = statusOf(() => applyStrategicMergePatch({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['b']] } }, deploymentSchema));
  t.strictSame(status?.details, { causes: [{ reason: 'UnexpectedServerResponse', message: 'lists of lists are not supported' }] });
});

t.test('$setElementOrder on a list without a merge key leaves the merged list as it is', async (t) => {
  const original = podWith({ tolerations: [{ key: 'a' }] });
  const out = applyStrategicMergePatch(original, { spec: { '$setElementOrder/tolerations': [{ key: 'b' }], tolerations: [{ key: 'b' }] } }, podSchema);
  t.strictSame(out, podWith({ tolerations: [{ key: 'b' }] }));
});
