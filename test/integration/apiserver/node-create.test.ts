import t from 'tap';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';

t.test('a Node created with status keeps it, as kubelets register that way', async (t) => {
  const api = await startInProcessApiServer(await testEtcd(t), uniquePrefix('node-create'));
  t.teardown(() => api.close());
  const status = { capacity: { cpu: '2', memory: '1Gi', pods: '110' }, allocatable: { cpu: '2', memory: '1Gi', pods: '110' }, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] };
  const res = await fetch(`${api.url}/api/v1/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'n1' }, status }) });
  t.equal(res.status, 201);
  const node = await (await fetch(`${api.url}/api/v1/nodes/n1`)).json() as { status?: typeof status };
  t.same(node.status?.capacity, status.capacity);
  t.same(node.status?.addresses, status.addresses);
});
