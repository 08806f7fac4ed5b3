// `kubelet --runtime=fake --fake-nodes 50`: one process registers 50 Ready hollow nodes that
// run pods bound to them with the real status shape, and reject what exceeds their capacity.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { startApiServer } from '../../harness/apiserver.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { freePort } from '../../harness/free-port.js';
import { podUntil, startKubelet, until } from './kubelet-harness.js';

const base = `hollow-${process.pid}`;
const etcd = await testEtcd(t);
const api = await startApiServer(etcd, uniquePrefix('fake-nodes'));
const client = new RestClient({ server: api.url });
const kubelet = await startKubelet([
  '--master', api.url, '--runtime', 'fake', '--fake-nodes', '50', '--node-name', base, '--port', String(await freePort()),
  '--cpu', '1', '--memory', '1Gi', '--max-pods', '3', '--root-dir', '/tmp/tskube-fake-nodes',
  '--node-status-update-frequency', '5s', '--node-lease-renew-interval', '5s',
]);
t.teardown(async () => {
  await kubelet.kill();
  await client.close();
  await api.kill();
});

function pod(name: string, node: string, cpu = '100m'): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu }, limits: { cpu } } }] },
  };
}

await t.test('50 hollow nodes register Ready with their own names and identities', async (t) => {
  const nodes = await until('50 Ready nodes', async () => {
    const list = (await client.resource('nodes').list('')).items
      .filter((n) => n.metadata?.name?.startsWith(`${base}-`) && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return list.length === 50 ? list : undefined;
  }, 60_000, 500);
  t.equal(new Set(nodes.map((n) => n.metadata?.name)).size, 50);
  t.equal(new Set(nodes.map((n) => n.status?.nodeInfo?.machineID)).size, 50, 'distinct machine IDs');
  t.match(nodes[0]?.status?.capacity, { cpu: '1', memory: '1Gi', pods: '3' });
  t.match(nodes[0]?.status?.nodeInfo, { containerRuntimeVersion: 'fake://0.1.0', kubeletVersion: 'v1.32.0-tskube' });
  const leases = await until('50 leases', async () => {
    const l = (await client.resource('leases').list('kube-node-lease')).items.filter((x) => x.metadata?.name?.startsWith(`${base}-`));
    return l.length === 50 ? l : undefined;
  }, 30_000, 500);
  t.equal(leases.length, 50);
});

await t.test('pods bound to hollow nodes go Running with the real status shape', async (t) => {
  const names = Array.from({ length: 10 }, (_, i) => `fake-${i}`);
  await Promise.all(names.map((name, i) => client.resource('pods').create('default', pod(name, `${base}-${i * 5}`))));
  for (const name of names) {
    const p = await podUntil(client, 'default', name, 'Running', (p) => p.status?.phase === 'Running', 30_000);
    t.match(p.status, {
      phase: 'Running', hostIP: '127.0.0.1', podIP: /^10\.244\./,
      containerStatuses: [{ name: 'c', ready: true, started: true, restartCount: 0, state: { running: {} }, containerID: /^fake:\/\// }],
    }, name);
  }
});

await t.test('pods beyond a node\'s allocatable are rejected the way kubelet admission does', async (t) => {
  const node = `${base}-1`;
  await client.resource('pods').create('default', pod('big-a', node, '600m'));
  await podUntil(client, 'default', 'big-a', 'Running', (p) => p.status?.phase === 'Running');
  await client.resource('pods').create('default', pod('big-b', node, '600m'));
  const rejected = await podUntil(client, 'default', 'big-b', 'Failed', (p) => p.status?.phase === 'Failed');
  t.equal(rejected.status?.reason, 'OutOfcpu');
  t.equal(rejected.status?.message, 'Pod was rejected: Node didn\'t have enough resource: cpu, requested: 600, used: 600, capacity: 1000');
  const pods = `${base}-2`;
  for (const i of [0, 1, 2]) await client.resource('pods').create('default', pod(`small-${i}`, pods, '10m'));
  for (const i of [0, 1, 2]) await podUntil(client, 'default', `small-${i}`, 'Running', (p) => p.status?.phase === 'Running');
  await client.resource('pods').create('default', pod('small-3', pods, '10m'));
  const tooMany = await podUntil(client, 'default', 'small-3', 'Failed', (p) => p.status?.phase === 'Failed');
  t.equal(tooMany.status?.reason, 'OutOfpods');
});
