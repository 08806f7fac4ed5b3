import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStorage } from '../../../pkg/storage/etcd-storage.js';
import { WorkerUnaryTransport } from '../../../pkg/storage/grpc-unary-worker.js';
import { type StorageEvent } from '../../../pkg/storage/storage.js';
import { startEtcd, testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { freePort } from '../../harness/free-port.js';

interface Obj { metadata: { name?: string; resourceVersion?: string }; n?: number; [k: string]: unknown }

t.test('etcd storage', async (t) => {
  // Small list pages, so that a few hundred keys span several of them.
  const storage = new EtcdStorage([await testEtcd(t)], { listPage: 100 });
  t.teardown(() => storage.close());
  const p = uniquePrefix('storage');

  await t.test('create is create-if-absent and sets resourceVersion to the revision', async (t) => {
    const a = await storage.create<Obj>(`${p}/a`, { metadata: { name: 'a' }, n: 1 });
    t.match(a.metadata.resourceVersion, /^\d+$/);
    await t.rejects(storage.create<Obj>(`${p}/a`, { metadata: { name: 'a' } }), { name: 'KeyExistsError' });
    const got = await storage.get<Obj>(`${p}/a`);
    t.equal(got?.metadata.resourceVersion, a.metadata.resourceVersion);
    t.equal(got?.n, 1);
  });

  await t.test('update is compare-and-swap on the revision', async (t) => {
    const cur = (await storage.get<Obj>(`${p}/a`))!;
    const rv = Number(cur.metadata.resourceVersion);
    const next = await storage.update<Obj>(`${p}/a`, { ...cur, n: 2 }, rv);
    t.ok(Number(next.metadata.resourceVersion) > rv);
    await t.rejects(storage.update(`${p}/a`, { ...cur, n: 3 }, rv), { name: 'RevisionConflictError' });
    await t.rejects(storage.update<Obj>(`${p}/missing`, { metadata: { name: 'm' } }, 5), { name: 'KeyNotFoundError' });
  });

  await t.test('50 concurrent guaranteed updates lose no update', async (t) => {
    await storage.create<Obj>(`${p}/counter`, { metadata: { name: 'counter' }, n: 0 });
    await Promise.all(Array.from({ length: 50 }, () =>
      storage.guaranteedUpdate<Obj>(`${p}/counter`, (cur) => ({ ...cur, n: (cur.n ?? 0) + 1 }))));
    t.equal((await storage.get<Obj>(`${p}/counter`))?.n, 50);
  });

  await t.test('list pages over a consistent snapshot', async (t) => {
    const lp = `${p}/list/`;
    for (let i = 0; i < 5; i++) await storage.create<Obj>(`${lp}${i}`, { metadata: { name: String(i) } });
    const first = await storage.list<Obj>(lp, { limit: 2 });
    t.equal(first.items.length, 2);
    t.equal(first.remaining, 3);
    await storage.create<Obj>(`${lp}9`, { metadata: { name: '9' } });
    const second = await storage.list<Obj>(lp, { limit: 10, revision: first.revision, startAfter: first.lastKey! });
    t.same(second.items.map((o) => o.metadata.name), ['2', '3', '4'], 'item created after the snapshot is not seen');
    t.equal(second.lastKey, undefined);
  });

  await t.test('listJson gives the same objects as list, resourceVersion spliced in', async (t) => {
    const jp = `${p}/json/`;
    await storage.create<Obj>(`${jp}a`, { spec: { template: { metadata: { name: 'inner' } } }, metadata: { name: 'a' }, n: 1 } as Obj);
    const b = await storage.create<Obj>(`${jp}b`, { metadata: { name: 'b' } });
    await storage.update<Obj>(`${jp}b`, { ...b, n: 2 }, Number(b.metadata.resourceVersion));
    const parsed = await storage.list<Obj>(jp);
    const json = await storage.listJson(jp);
    t.same(JSON.parse(`[${json.chunks.join(',')}]`) as unknown, parsed.items);
    t.equal(json.count, 2);
    t.equal(json.revision, parsed.revision);
  });

  await t.test('a list without a limit reads every page at one revision', async (t) => {
    const bp = `${p}/big/`;
    const name = (i: number) => String(i).padStart(4, '0');
    // More than two of the storage's 100-key pages.
    for (let i = 0; i < 210; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => storage.create<Obj>(`${bp}${name(i + j)}`, { metadata: { name: name(i + j) } })));
    }
    const snapshot = await storage.currentRevision();
    await storage.create<Obj>(`${bp}9999`, { metadata: { name: '9999' } });
    await storage.delete<Obj>(`${bp}0000`);
    const old = await storage.list<Obj>(bp, { revision: snapshot });
    t.equal(old.items.length, 210, 'the snapshot, not what came after it');
    t.same(old.items.map((o) => o.metadata.name), Array.from({ length: 210 }, (_, i) => name(i)), 'in key order, each key once');
    t.equal(old.revision, snapshot);
    t.equal(old.lastKey, undefined);
    const json = await storage.listJson(bp, { revision: snapshot });
    t.equal(json.count, 210);
    t.equal(json.chunks.length, 3, 'one chunk per page');
    t.same((JSON.parse(`[${json.chunks.join(',')}]`) as Obj[]).map((o) => o.metadata.name), old.items.map((o) => o.metadata.name));
    const now = await storage.list<Obj>(bp);
    t.equal(now.items.length, 210);
    t.equal(now.items[0]!.metadata.name, '0001');
    t.equal(now.items.at(-1)!.metadata.name, '9999');
  });

  await t.test('watch delivers every change in order, deletes with the last state', async (t) => {
    const wp = `${p}/watch/`;
    const from = await storage.currentRevision();
    const ac = new AbortController();
    const seen: StorageEvent<Obj>[] = [];
    const done = (async () => {
      for await (const ev of storage.watch<Obj>(wp, { fromRevision: from, signal: ac.signal })) {
        seen.push(ev);
        if (seen.length === 3) ac.abort();
      }
    })();
    const c = await storage.create<Obj>(`${wp}x`, { metadata: { name: 'x' }, n: 1 });
    await storage.update<Obj>(`${wp}x`, { ...c, n: 2 }, Number(c.metadata.resourceVersion));
    const deleted = await storage.delete<Obj>(`${wp}x`);
    await done;
    t.same(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    t.equal(seen[2]!.object.n, 2);
    t.equal(seen[2]!.object.metadata.resourceVersion, deleted.metadata.resourceVersion);
    t.ok(seen[0]!.revision < seen[1]!.revision && seen[1]!.revision < seen[2]!.revision);
    await t.rejects(storage.delete(`${wp}x`), { name: 'KeyNotFoundError' });
  });

  await t.test('watch from a compacted revision throws CompactedError', async (t) => {
    // An etcd of its own: compacting the shared one takes history other test files are reading.
    const own = await startEtcd();
    t.teardown(() => own.stop());
    const storage = new EtcdStorage([own.endpoint]);
    t.teardown(() => storage.close());
    const old = await storage.currentRevision();
    await storage.create<Obj>(`${p}/c1`, { metadata: { name: 'c1' } });
    await storage.create<Obj>(`${p}/c2`, { metadata: { name: 'c2' } });
    await storage.compact(await storage.currentRevision());
    const ac = new AbortController();
    await t.rejects((async () => {
      for await (const _ of storage.watch<Obj>(`${p}/`, { fromRevision: old, signal: ac.signal })) { /* none */ }
    })(), { name: 'CompactedError' });
  });
});

t.test('an endpoint that refuses connections is passed over for the next one', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const storage = new EtcdStorage([dead, await testEtcd(t)]);
  t.teardown(() => storage.close());
  const p = uniquePrefix('failover');
  const a = await storage.create<Obj>(`${p}/a`, { metadata: { name: 'a' }, n: 1 });
  t.match(a.metadata.resourceVersion, /^\d+$/, 'the first call already succeeds, on the second endpoint');
  t.equal((await storage.get<Obj>(`${p}/a`))?.n, 1);
});

t.test('while etcd is down calls fail as StorageUnavailableError; after its restart they work again', async (t) => {
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const storage = new EtcdStorage([etcd.endpoint]);
  t.teardown(() => storage.close());
  await storage.create<Obj>('/outage/a', { metadata: { name: 'a' }, n: 1 });
  await etcd.kill();
  await t.rejects(storage.get('/outage/a'), { name: 'StorageUnavailableError' });
  await t.rejects(storage.create<Obj>('/outage/b', { metadata: { name: 'b' } }), { name: 'StorageUnavailableError' });
  await etcd.start();
  t.equal((await storage.get<Obj>('/outage/a'))?.n, 1, 'the data written before the kill is read back');
  await storage.create<Obj>('/outage/b', { metadata: { name: 'b' } });
  t.same((await storage.list<Obj>('/outage/')).items.map((o) => o.metadata.name), ['a', 'b']);
});

t.test('concurrent writes through the client thread each get their own answer back', async (t) => {
  const storage = new EtcdStorage([await testEtcd(t)]);
  t.teardown(() => storage.close());
  const p = uniquePrefix('batched');
  // Sent in one burst, so they cross to the client thread and back in shared batches.
  const created = await Promise.all(Array.from({ length: 300 }, (_, i) =>
    storage.create<Obj>(`${p}/k${i}`, { metadata: { name: `k${i}` }, n: i })));
  const revisions = created.map((o) => Number(o.metadata.resourceVersion));
  t.equal(new Set(revisions).size, 300, 'every create has a revision of its own');
  const stored = await storage.list<Obj>(`${p}/`);
  const byName = new Map(stored.items.map((o) => [o.metadata.name, o]));
  t.ok(created.every((o) => byName.get(o.metadata.name)?.metadata.resourceVersion === o.metadata.resourceVersion && byName.get(o.metadata.name)?.n === o.n),
    'each answer carries the revision its own key was stored at');
  // Even ones collide with a key made above, odd ones are new: the answers must not swap.
  const mixed = await Promise.allSettled(Array.from({ length: 20 }, (_, i) =>
    storage.create<Obj>(i % 2 ? `${p}/new${i}` : `${p}/k${i}`, { metadata: { name: `m${i}` } })));
  t.same(mixed.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : (r.value.metadata.name))),
    Array.from({ length: 20 }, (_, i) => (i % 2 ? `m${i}` : 'KeyExistsError')), 'refusals and successes come back to their own callers');
});

t.test('a client thread that dies fails its calls as unavailable, and the next call starts a new one', async (t) => {
  const endpoint = await testEtcd(t);
  const dir = await mkdtemp(join(tmpdir(), 'tskube-thread-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Read by the stand-in thread, which gets a copy of this environment when it starts.
  process.env['TSKUBE_TEST_THREAD_DEATH_MARK'] = join(dir, 'died');
  const transport = new WorkerUnaryTransport([endpoint], new URL('./dying-client-thread.js', import.meta.url));
  t.teardown(() => transport.close());
  const status = () => transport.call('/etcdserverpb.Maintenance/Status', new Uint8Array());
  const inFlight = await Promise.allSettled([status(), status()]);
  t.same(inFlight.map((r) => r.status === 'rejected' && (r.reason as Error).name), ['StorageUnavailableError', 'StorageUnavailableError'],
    'the calls the dead thread held fail, and none is left waiting');
  t.match(inFlight[0]?.status === 'rejected' && (inFlight[0].reason as Error).message, /thread exited/);
  const answer = await status();
  t.ok(answer.length > 0, 'the next call gets an answer from etcd through a new thread');
});
