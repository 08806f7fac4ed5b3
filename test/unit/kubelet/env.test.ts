// makeEnvironmentVariables: values with $(VAR) expansion, fieldRef, resourceFieldRef, configMap and secret refs, envFrom.
import t from 'tap';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { CreateContainerConfigError, expand, expandCommandAndArgs, makeEnvironmentVariables } from '../../../pkg/kubelet/env.js';

const cms: Record<string, ConfigMap> = { cfg: { metadata: { name: 'cfg' }, data: { color: 'blue', size: 'L' } } };
const secrets: Record<string, Secret> = { creds: { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } } };
const sources = {
  getConfigMap: async (_ns: string, name: string) => cms[name],
  getSecret: async (_ns: string, name: string) => secrets[name],
  hostIP: '127.0.0.1', podIP: '10.0.0.7', allocatable: { cpu: '2', memory: '4Gi' },
};

function podWith(env: NonNullable<Pod['spec']>['containers'][number]): Pod {
  return { metadata: { name: 'web', namespace: 'ns', uid: 'u1', labels: { app: 'x' } }, spec: { nodeName: 'n1', serviceAccountName: 'default', containers: [env] } };
}

t.test('expand follows expansion.Expand', async (t) => {
  const m: Record<string, string> = { A: 'a', B: 'b' };
  const lookup = (n: string) => m[n];
  t.equal(expand('$(A)-$(B)', lookup), 'a-b');
  t.equal(expand('$(MISSING)', lookup), '$(MISSING)');
  t.equal(expand('$$(A)', lookup), '$(A)');
  t.equal(expand('cost $5', lookup), 'cost $5');
  t.equal(expand('$(A', lookup), '$(A');
});

t.test('env resolves every source in order', async (t) => {
  const container = {
    name: 'c', image: 'busybox',
    resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
    env: [
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)-y-$(CFG_color)' },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
    ],
  };
  const env = Object.fromEntries((await makeEnvironmentVariables(podWith(container), container, sources)).map((e) => [e.name, e.value]));
  t.same(env, {
    CFG_color: 'blue', CFG_size: 'L', password: 's3cret', A: 'x', B: 'x-y-blue', NAME: 'web', NS: 'ns', LABEL: 'x', NODE: 'n1',
    POD_IP: '10.0.0.7', HOST_IP: '127.0.0.1', MEM: '64', CPU_REQ: '250', CPU_LIM: '2', COLOR: 'blue', PW: 's3cret',
  });
  t.same(expandCommandAndArgs({ name: 'c', command: ['echo', '$(A)'], args: ['$(B)'] }, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]),
    { command: ['echo', '1'], args: ['2'] });
});

t.test('missing sources are CreateContainerConfigErrors with the kubelet\'s messages', async (t) => {
  const cases: [NonNullable<Pod['spec']>['containers'][number], string][] = [
    [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, 'configmap "nope" not found'],
    [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, "couldn't find key k in ConfigMap ns/cfg"],
    [{ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, 'secret "nope" not found'],
    [{ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, "couldn't find key k in Secret ns/creds"],
    [{ name: 'c', envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
  ];
  for (const [container, message] of cases) {
    await t.rejects(makeEnvironmentVariables(podWith(container), container, sources), new CreateContainerConfigError(message), message);
  }
});
