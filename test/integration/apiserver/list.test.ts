// Lists: label and field selectors, limit/continue over one snapshot, and the resourceVersion
// semantics (0 from the cache, Exact, NotOlderThan, compacted → 410).
import t from 'tap';
import { startEtcd } from '../../harness/etcd.js';
import { uniquePrefix } from '../../harness/etcd.js';
import { compactEtcd, startInProcessApiServer } from '../../harness/apiserver.js';
import { Api, configMap, inProcessServer, pod, type Obj } from './http.js';

const NS = '/api/v1/namespaces/default';
const names = (r: { body: Obj }): string[] => (r.body['items'] as Obj[]).map((o) => o['metadata'].name as string);

t.test('label selectors: =, ==, !=, in, notin, exists and !', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/configmaps`, configMap('a', { app: 'web', tier: 'front' }));
  await api.create(`${NS}/configmaps`, configMap('b', { app: 'db', tier: 'back' }));
  await api.create(`${NS}/configmaps`, configMap('c', { app: 'cache' }));
  await api.create(`${NS}/configmaps`, configMap('d'));
  const cases: [string, string[]][] = [
    ['app=web', ['a']],
    ['app==db', ['b']],
    ['app!=web', ['b', 'c', 'd']],
    ['app in (web,db)', ['a', 'b']],
    ['app notin (web,db)', ['c', 'd']],
    ['tier', ['a', 'b']],
    ['!tier', ['c', 'd']],
    ['app=web,tier=front', ['a']],
    ['app,!tier', ['c']],
  ];
  for (const [sel, want] of cases) {
    const r = await api.get(`${NS}/configmaps?labelSelector=${encodeURIComponent(sel)}`);
    t.equal(r.status, 200, sel);
    t.same(names(r), want, sel);
    const cached = await api.get(`${NS}/configmaps?resourceVersion=0&labelSelector=${encodeURIComponent(sel)}`);
    t.same(names(cached), want, `${sel} (from the cache)`);
  }
  const bad = await api.get(`${NS}/configmaps?labelSelector=${encodeURIComponent('app in (')}`);
  t.equal(bad.status, 400);
  t.equal(bad.body['reason'], 'BadRequest');
});

t.test('field selectors on metadata, pod and event fields; unsupported labels are a 400', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  await api.create(`${NS}/configmaps`, configMap('x'));
  await api.create(`${NS}/configmaps`, configMap('y'));
  await api.create('/api/v1/namespaces/other/configmaps', configMap('x'));
  t.same(names(await api.get(`${NS}/configmaps?fieldSelector=metadata.name%3Dx`)), ['x']);
  t.same(names(await api.get(`${NS}/configmaps?fieldSelector=metadata.name!%3Dx`)), ['y']);
  const all = await api.get(`/api/v1/configmaps?fieldSelector=metadata.name%3Dx`);
  t.same((all.body['items'] as Obj[]).map((o) => o['metadata'].namespace).sort(), ['default', 'other']);
  t.same(names(await api.get(`/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother`)), ['x']);

  await api.create(`${NS}/pods`, pod('on-n1', { spec: { nodeName: 'n1' } }));
  await api.create(`${NS}/pods`, pod('on-n2', { spec: { nodeName: 'n2' } }));
  const running = await api.create(`${NS}/pods`, pod('running', { spec: { nodeName: 'n1' } }));
  const st = await api.put(`${NS}/pods/running/status`, { ...running, status: { phase: 'Running' } });
  t.equal(st.status, 200, st.text);
  t.same(names(await api.get(`${NS}/pods?fieldSelector=spec.nodeName%3Dn1`)), ['on-n1', 'running']);
  t.same(names(await api.get(`/api/v1/pods?fieldSelector=spec.nodeName%3Dn2`)), ['on-n2']);
  t.same(names(await api.get(`${NS}/pods?fieldSelector=status.phase%3DRunning`)), ['running']);
  t.same(names(await api.get(`${NS}/pods?fieldSelector=status.phase!%3DRunning,spec.nodeName%3Dn1`)), ['on-n1']);
  t.same(names(await api.get(`${NS}/pods?resourceVersion=0&fieldSelector=spec.nodeName%3Dn2`)), ['on-n2'], 'from the cache too');

  const event = (name: string, involved: string, uid: string) => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name },
    involvedObject: { kind: 'Pod', name: involved, namespace: 'default', uid }, reason: 'Scheduled', message: 'm', type: 'Normal',
  });
  const e1 = await api.post(`${NS}/events`, event('e1', 'running', 'u1'));
  t.equal(e1.status, 201, e1.text);
  await api.create(`${NS}/events`, event('e2', 'on-n1', 'u2'));
  const sel = encodeURIComponent('involvedObject.name=running,involvedObject.namespace=default,involvedObject.uid=u1,involvedObject.kind=Pod');
  t.same(names(await api.get(`${NS}/events?fieldSelector=${sel}`)), ['e1']);

  const bad = await api.get(`${NS}/pods?fieldSelector=spec.nope%3Dx`);
  t.equal(bad.status, 400);
  t.equal(bad.body['reason'], 'BadRequest');
  t.match(bad.body['message'], /field label not supported: spec.nope/);
  t.equal((await api.get(`${NS}/configmaps?fieldSelector=data.a%3D1`)).status, 400);
});

t.test('limit and continue page through one snapshot with remainingItemCount', async (t) => {
  const { api } = await inProcessServer(t);
  for (const n of ['a1', 'a2', 'a3', 'a4', 'a5']) await api.create(`${NS}/configmaps`, configMap(n));
  const p1 = await api.get(`${NS}/configmaps?limit=2`);
  t.same(names(p1), ['a1', 'a2']);
  t.equal(p1.body['metadata'].remainingItemCount, 3);
  const token = p1.body['metadata'].continue as string;
  t.ok(token);
  // Changes after the first page must not show up in later pages.
  await api.create(`${NS}/configmaps`, configMap('a35'));
  await api.delete(`${NS}/configmaps/a4`);
  const p2 = await api.get(`${NS}/configmaps?limit=2&continue=${encodeURIComponent(token)}`);
  t.equal(p2.status, 200, p2.text);
  t.same(names(p2), ['a3', 'a4']);
  t.equal(p2.body['metadata'].resourceVersion, p1.body['metadata'].resourceVersion, 'same snapshot');
  t.equal(p2.body['metadata'].remainingItemCount, 1);
  const p3 = await api.get(`${NS}/configmaps?limit=2&continue=${encodeURIComponent(p2.body['metadata'].continue)}`);
  t.same(names(p3), ['a5']);
  t.notOk(p3.body['metadata'].continue, 'the last page has no continue');
  t.notOk(p3.body['metadata'].remainingItemCount);
  t.same(names(await api.get(`${NS}/configmaps`)), ['a1', 'a2', 'a3', 'a35', 'a5'], 'a fresh list sees the changes');

  const sel = await api.get(`${NS}/configmaps?limit=1&fieldSelector=metadata.name!%3Da1`);
  t.same(names(sel), ['a2'], 'a filtered page still fills up');
  t.ok(sel.body['metadata'].continue);

  const garbage = await api.get(`${NS}/configmaps?limit=2&continue=garbage`);
  t.equal(garbage.status, 400);
  const both = await api.get(`${NS}/configmaps?limit=2&resourceVersion=5&continue=${encodeURIComponent(token)}`);
  t.equal(both.status, 422, 'resourceVersion with continue is refused');
});

t.test('resourceVersion=0, Exact and NotOlderThan; compacted history answers 410 Expired', async (t) => {
  // A private etcd: compaction is global, and other tests share the test etcd.
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const server = await startInProcessApiServer(etcd.endpoint, uniquePrefix('list-rv'));
  t.teardown(() => server.close());
  const api = new Api(server.url);

  await api.create(`${NS}/configmaps`, configMap('one'));
  const before = await api.get(`${NS}/configmaps`);
  const rv1 = before.body['metadata'].resourceVersion as string;
  await api.create(`${NS}/configmaps`, configMap('two'));

  const zero = await api.get(`${NS}/configmaps?resourceVersion=0`);
  t.equal(zero.status, 200);
  t.ok(Number(zero.body['metadata'].resourceVersion) >= Number(rv1));

  const exact = await api.get(`${NS}/configmaps?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
  t.equal(exact.status, 200, exact.text);
  t.same(names(exact), ['one'], 'Exact reads the old snapshot');
  t.equal(exact.body['metadata'].resourceVersion, rv1);

  const nto = await api.get(`${NS}/configmaps?resourceVersion=${rv1}&resourceVersionMatch=NotOlderThan`);
  t.same(names(nto), ['one', 'two'], 'NotOlderThan may be newer');
  t.ok(Number(nto.body['metadata'].resourceVersion) > Number(rv1));
  const plain = await api.get(`${NS}/configmaps?resourceVersion=${rv1}`);
  t.same(names(plain), ['one', 'two']);

  t.equal((await api.get(`${NS}/configmaps?resourceVersionMatch=Exact`)).status, 422, 'match without resourceVersion');
  t.equal((await api.get(`${NS}/configmaps?resourceVersion=1&resourceVersionMatch=Sometime`)).status, 422);
  t.equal((await api.get(`${NS}/configmaps?resourceVersion=abc`)).status, 400);

  const page = await api.get(`${NS}/configmaps?limit=1`);
  const token = page.body['metadata'].continue as string;
  t.ok(token);
  await api.create(`${NS}/configmaps`, configMap('three'));
  await compactEtcd(etcd.endpoint);

  const expired = await api.get(`${NS}/configmaps?limit=1&continue=${encodeURIComponent(token)}`);
  t.equal(expired.status, 410, expired.text);
  t.equal(expired.body['reason'], 'Expired');
  t.equal(expired.body['kind'], 'Status');
  const gone = await api.get(`${NS}/configmaps?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
  t.equal(gone.status, 410, 'Exact on a compacted resourceVersion');
  t.equal(gone.body['reason'], 'Expired');
  t.same(names(await api.get(`${NS}/configmaps`)), ['one', 'three', 'two']);
});
