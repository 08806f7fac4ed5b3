// Watches over HTTP: order and resourceVersions, resuming, synthetic ADDEDs, 410 after
// compaction, bookmarks, timeouts, selector transitions, watch-list, and watches that span an
// apiserver restart or two apiservers on one etcd.
import t from 'tap';
import { pino } from 'pino';
import { startEtcd, testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { compactEtcd, startApiServer, startInProcessApiServer } from '../../harness/apiserver.js';
import { buildServer } from '../../../pkg/apiserver/server.js';
import { EtcdStorage } from '../../../pkg/storage/etcd-storage.js';
import { Api, configMap, inProcessServer, type Obj, type Watch, type WatchEvent } from './http.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const rvOf = (o: Obj): number => Number(o['metadata'].resourceVersion);
const summary = (e: WatchEvent | undefined): string => {
  if (!e) return 'end';
  // An ERROR carries a Status: its code and message say what went wrong.
  if (e.type === 'ERROR') return `ERROR ${String(e.object['code'])} ${String(e.object['message'])}`;
  return `${e.type} ${e.object['metadata']?.name ?? ''}`;
};

async function changes(w: Watch, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  while (out.length < n) {
    const ev = await w.nextChange();
    if (!ev) throw new Error(`watch ended after ${out.map(summary).join(', ')}`);
    out.push(ev);
  }
  return out;
}

t.test('a watcher sees every create, update and delete in order with increasing resourceVersions', async (t) => {
  const { api } = await inProcessServer(t);
  const list = await api.get(CMS);
  const w = api.watch(`${CMS}?watch=true&resourceVersion=${list.body['metadata'].resourceVersion}`);
  t.teardown(() => w.close());
  t.equal(await w.status, 200);
  const a = await api.create(CMS, configMap('a'));
  await api.put(`${CMS}/a`, { ...a, data: { a: '2' } });
  await api.create(CMS, configMap('b'));
  await api.patch(`${CMS}/b`, 'merge', { data: { b: '1' } });
  await api.delete(`${CMS}/a`);
  const events = await changes(w, 5);
  t.same(events.map(summary), ['ADDED a', 'MODIFIED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
  const rvs = events.map((e) => rvOf(e.object));
  t.same(rvs, [...rvs].sort((x, y) => x - y), 'resourceVersions increase');
  t.equal(new Set(rvs).size, 5);
  t.equal(events[1]!.object['data'].a, '2');
  t.equal(events[4]!.object['kind'], 'ConfigMap', 'a DELETED carries the last state');
  t.same(await w.quiet(200), [], 'nothing else');
});

t.test('resuming from a resourceVersion delivers only later events', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(CMS, configMap('a'));
  const b = await api.create(CMS, configMap('b'));
  await api.create(CMS, configMap('c'));
  await api.delete(`${CMS}/a`);
  const w = api.watch(`${CMS}?watch=1&resourceVersion=${rvOf(b)}`);
  t.teardown(() => w.close());
  t.same((await changes(w, 2)).map(summary), ['ADDED c', 'DELETED a']);
  t.same(await w.quiet(200), []);
});

t.test('an unset or zero resourceVersion starts with a synthetic ADDED per existing object', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(CMS, configMap('a'));
  await api.create(CMS, configMap('b', { app: 'x' }));
  const other = await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  t.ok(other);
  await api.create('/api/v1/namespaces/other/configmaps', configMap('c'));
  const existing = ['ADDED a', 'ADDED b'];
  for (const [i, query] of ['watch=true', 'watch=True&resourceVersion=0'].entries()) {
    const w = api.watch(`${CMS}?${query}`);
    t.teardown(() => w.close());
    t.same((await changes(w, existing.length)).map(summary).sort(), [...existing].sort(), query);
    await api.create(CMS, configMap(`after-${i}`));
    t.same(summary(await w.nextChange()), `ADDED after-${i}`);
    existing.push(`ADDED after-${i}`);
  }
  const all = api.watch('/api/v1/configmaps?watch=true&labelSelector=app%3Dx');
  t.teardown(() => all.close());
  t.same(summary(await all.nextChange()), 'ADDED b');
  const every = api.watch('/api/v1/configmaps?watch=true');
  t.teardown(() => every.close());
  t.same((await changes(every, 5)).map(summary).sort(), ['ADDED a', 'ADDED after-0', 'ADDED after-1', 'ADDED b', 'ADDED c'], 'all namespaces');
});

t.test('a too-old resourceVersion after compaction answers 200, then one ERROR 410 Expired', async (t) => {
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const server = await startInProcessApiServer(etcd.endpoint, uniquePrefix('watch-gone'));
  t.teardown(() => server.close());
  const api = new Api(server.url);
  const a = await api.create(CMS, configMap('a'));
  for (let i = 0; i < 3; i++) await api.patch(`${CMS}/a`, 'merge', { data: { a: String(i) } });
  await compactEtcd(etcd.endpoint);
  const w = api.watch(`${CMS}?watch=true&resourceVersion=${rvOf(a) - 1}`);
  t.teardown(() => w.close());
  t.equal(await w.status, 200);
  const ev = await w.next();
  t.equal(ev?.type, 'ERROR');
  t.match(ev?.object, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired' });
  t.match(ev?.object['message'], /^too old resource version: \d+/);
  t.equal(await w.next(), undefined, 'then the stream ends');
});

t.test('allowWatchBookmarks brings BOOKMARK events that carry only a resourceVersion', async (t) => {
  const etcd = await testEtcd(t);
  const storage = new EtcdStorage([etcd]);
  const server = buildServer({ storage, etcdPrefix: uniquePrefix('bookmarks'), logger: pino({ level: 'silent' }), watchBookmarkIntervalMs: 200 });
  await server.bootstrap();
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => { await server.close(); await storage.close(); });
  const api = new Api(url);
  const cm = await api.create(CMS, configMap('a'));
  const w = api.watch(`${CMS}?watch=true&allowWatchBookmarks=true&resourceVersion=${rvOf(cm)}`);
  t.teardown(() => w.close());
  const bm = await w.next(3000);
  t.equal(bm?.type, 'BOOKMARK');
  t.same(bm?.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(rvOf(cm)) } });
  const next = await api.create(CMS, configMap('b'));
  t.same(summary(await w.nextChange()), 'ADDED b');
  const later = await w.next(3000);
  t.equal(later?.type, 'BOOKMARK');
  t.ok(Number(later?.object['metadata'].resourceVersion) >= rvOf(next), 'bookmarks move with the stream');

  const none = api.watch(`${CMS}?watch=true&resourceVersion=${rvOf(next)}`);
  t.teardown(() => none.close());
  t.same(await none.quiet(500), [], 'no bookmarks unless asked for');
});

t.test('timeoutSeconds ends the stream', async (t) => {
  const { api } = await inProcessServer(t);
  const started = Date.now();
  const w = api.watch(`${CMS}?watch=true&timeoutSeconds=1`);
  while (await w.next(5000)) { /* drain */ }
  const took = Date.now() - started;
  // A server that ignored timeoutSeconds fails in next(), which allows 5 s without an event.
  t.ok(took >= 900 && took < 60_000, `ended after ${took} ms`);
  t.notOk(w.error, 'a clean end, not an error');
});

t.test('an object that stops matching a label selector arrives as DELETED, one that starts matching as ADDED', async (t) => {
  const { api } = await inProcessServer(t);
  const list = await api.get(CMS);
  const w = api.watch(`${CMS}?watch=true&labelSelector=app%3Dweb&resourceVersion=${list.body['metadata'].resourceVersion}`);
  t.teardown(() => w.close());
  await api.create(CMS, configMap('x', { app: 'db' }));
  await api.patch(`${CMS}/x`, 'merge', { metadata: { labels: { app: 'web' } } });
  await api.patch(`${CMS}/x`, 'merge', { data: { more: 'y' } });
  await api.patch(`${CMS}/x`, 'merge', { metadata: { labels: { app: 'db' } } });
  await api.delete(`${CMS}/x`);
  await api.create(CMS, configMap('y', { app: 'web' }));
  const events = await changes(w, 4);
  t.same(events.map(summary), ['ADDED x', 'MODIFIED x', 'DELETED x', 'ADDED y']);
  t.same(events[2]!.object['metadata'].labels, { app: 'db' }, 'the DELETED carries the new state');
});

t.test('sendInitialEvents=true ends the initial ADDEDs with an initial-events-end BOOKMARK', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(CMS, configMap('a'));
  const b = await api.create(CMS, configMap('b'));
  const w = api.watch(`${CMS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=${rvOf(b)}`);
  t.teardown(() => w.close());
  t.same([summary(await w.next()), summary(await w.next())].sort(), ['ADDED a', 'ADDED b'], 'the state, even from a given resourceVersion');
  const end = await w.next();
  t.equal(end?.type, 'BOOKMARK');
  t.same(end?.object['metadata'].annotations, { 'k8s.io/initial-events-end': 'true' });
  t.ok(Number(end?.object['metadata'].resourceVersion) >= rvOf(b));
  await api.create(CMS, configMap('c'));
  t.equal(summary(await w.nextChange()), 'ADDED c');

  const invalid = await api.get(`${CMS}?watch=true&sendInitialEvents=true`);
  t.equal(invalid.status, 422, 'sendInitialEvents needs resourceVersionMatch=NotOlderThan');
  t.equal((await api.get(`${CMS}?watch=true&resourceVersionMatch=NotOlderThan&resourceVersion=1`)).status, 422);
});

t.test('a watch resumed after an apiserver restart gets the downtime writes without gaps or duplicates', async (t) => {
  const etcd = await testEtcd(t);
  const prefix = uniquePrefix('watch-restart');
  const proc = await startApiServer(etcd, prefix);
  t.teardown(() => proc.kill());
  const writer = await startInProcessApiServer(etcd, prefix);
  t.teardown(() => writer.close());
  const api = new Api(proc.url);
  const side = new Api(writer.url);

  const list = await api.get(CMS);
  const w = api.watch(`${CMS}?watch=true&resourceVersion=${list.body['metadata'].resourceVersion}`);
  await api.create(CMS, configMap('before'));
  const seen = await changes(w, 1);
  let lastRv = rvOf(seen[0]!.object);

  await proc.kill('SIGKILL');
  t.equal(await w.next(5000), undefined, 'the stream ends with the process');
  for (let i = 0; i < 5; i++) await side.create(CMS, configMap(`down-${i}`));
  await side.delete(`${CMS}/before`);
  await proc.restart();
  await side.create(CMS, configMap('after'));

  const resumed = api.watch(`${CMS}?watch=true&resourceVersion=${lastRv}`);
  t.teardown(() => resumed.close());
  const events = await changes(resumed, 7);
  t.same(events.map(summary), ['ADDED down-0', 'ADDED down-1', 'ADDED down-2', 'ADDED down-3', 'ADDED down-4', 'DELETED before', 'ADDED after']);
  for (const e of events) { t.ok(rvOf(e.object) > lastRv, 'strictly increasing'); lastRv = rvOf(e.object); }
  t.same(await resumed.quiet(300), [], 'no duplicates');
  await side.create(CMS, configMap('later'));
  t.equal(summary(await resumed.nextChange()), 'ADDED later', 'and it stays live');
});

t.test('two apiservers on one etcd serve the same data and see each other’s writes', async (t) => {
  const etcd = await testEtcd(t);
  const prefix = uniquePrefix('two-apiservers');
  const [one, two] = await Promise.all([startApiServer(etcd, prefix), startApiServer(etcd, prefix)]);
  t.teardown(() => Promise.all([one.kill(), two.kill()]));
  const a = new Api(one.url);
  const b = new Api(two.url);
  const rv = (await a.get(CMS)).body['metadata'].resourceVersion as string;
  const wa = a.watch(`${CMS}?watch=true&resourceVersion=${rv}`);
  const wb = b.watch(`${CMS}?watch=true&resourceVersion=${rv}`);
  t.teardown(() => { wa.close(); wb.close(); });
  await a.create(CMS, configMap('from-a'));
  await b.create(CMS, configMap('from-b'));
  await a.delete(`${CMS}/from-b`);
  const want = ['ADDED from-a', 'ADDED from-b', 'DELETED from-b'];
  t.same((await changes(wa, 3)).map(summary), want);
  t.same((await changes(wb, 3)).map(summary), want);
  t.same((await b.get(`${CMS}/from-a`)).body['metadata'].uid, (await a.get(`${CMS}/from-a`)).body['metadata'].uid);
  const conflict = await b.post(CMS, configMap('from-a'));
  t.equal(conflict.status, 409, 'a create through the other server conflicts');
});
