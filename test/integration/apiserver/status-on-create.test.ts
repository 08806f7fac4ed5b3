import t from 'tap';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';

// Controllers create these without status; Go's zero status still carries the counts the
// schema requires, so the create must not fail validation.
const cases = [
  { path: '/apis/apps/v1/namespaces/default/replicasets', status: { replicas: 0 },
    body: { metadata: { name: 'rs' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } } } },
  { path: '/apis/apps/v1/namespaces/default/statefulsets', status: { replicas: 0 },
    body: { metadata: { name: 'sts' }, spec: { serviceName: 'x', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } } } },
  { path: '/apis/apps/v1/namespaces/default/daemonsets', status: { numberReady: 0, desiredNumberScheduled: 0 },
    body: { metadata: { name: 'ds' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } } } },
  { path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets', status: { disruptionsAllowed: 0 },
    body: { metadata: { name: 'pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { a: 'b' } } } } },
];

t.test('workloads created without status get their zero status', async (t) => {
  const api = await startInProcessApiServer(await testEtcd(t), uniquePrefix('status-on-create'));
  t.teardown(() => api.close());
  for (const c of cases) {
    const res = await fetch(`${api.url}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...c.body, status: { replicas: 7 } }) });
    const body = await res.json() as { status?: Record<string, unknown>; metadata?: { generation?: number } };
    t.equal(res.status, 201, `${c.path}: ${JSON.stringify(body).slice(0, 300)}`);
    t.match(body.status, c.status, `${c.path} status is the zero status, not what the client sent`);
    t.equal(body.metadata?.generation, 1);
  }
});
