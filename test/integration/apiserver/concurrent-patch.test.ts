import t from 'tap';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';

t.test('concurrent patches without a resourceVersion are all applied, none gets 409', async (t) => {
  const api = await startInProcessApiServer(await testEtcd(t), uniquePrefix('concurrent-patch'));
  t.teardown(() => api.close());
  const url = `${api.url}/api/v1/namespaces/default/configmaps`;
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'shared' } }) });
  const codes = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const res = await fetch(`${url}/shared`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { [`k${i}`]: 'v' } } }) });
    await res.text();
    return res.status;
  }));
  t.same(codes, Array(20).fill(200));
  const cm = await (await fetch(`${url}/shared`)).json() as { metadata: { labels?: Record<string, string>; resourceVersion: string } };
  t.equal(Object.keys(cm.metadata.labels ?? {}).length, 20, 'every patch landed');

  const stale = await fetch(`${url}/shared`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { resourceVersion: '1', labels: { late: 'x' } } }) });
  t.equal(stale.status, 409, 'a patch that pins an old resourceVersion still conflicts');
});
