// The informer and its reflector against a scripted ListerWatcher: no server, no sleeps.
import t from 'tap';
import { errors, isGone } from '../../../pkg/api/errors.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { DeletedFinalStateUnknown, SharedInformer } from '../../../pkg/client/informer.js';
import type { ListerWatcher } from '../../../pkg/client/reflector.js';
import type { ListOptions, ObjectList, WatchOptions } from '../../../pkg/client/rest-client.js';
import type { WatchEvent } from '../../../pkg/client/watch.js';

interface Obj { metadata: { namespace: string; name: string; resourceVersion: string } }
const obj = (name: string, rv: string): Obj => ({ metadata: { namespace: 'ns', name, resourceVersion: rv } });

type Step =
  | { list: (opts: ListOptions) => ObjectList<Obj> | Error }
  | { watch: (opts: WatchOptions) => (WatchEvent<Obj> | Error)[] | 'hang' };

/** Plays the steps in order; records each call's options. Hangs (until aborted) when out of steps. */
function scripted(steps: Step[]) {
  const calls: { verb: 'list' | 'watch'; opts: ListOptions | WatchOptions }[] = [];
  let done: () => void = () => {};
  const exhausted = new Promise<void>((r) => { done = r; });
  const next = () => { const s = steps.shift(); if (steps.length === 0) done(); return s; };
  const hang = (signal?: AbortSignal) => new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
  const lw: ListerWatcher<Obj> = {
    async list(opts) {
      calls.push({ verb: 'list', opts });
      const s = next();
      if (!s) return hang(opts.signal);
      if (!('list' in s)) throw new Error(`expected watch, got list ${JSON.stringify(opts)}`);
      const r = s.list(opts);
      if (r instanceof Error) throw r;
      return r;
    },
    async *watch(opts) {
      calls.push({ verb: 'watch', opts });
      const s = next();
      if (!s) { await hang(opts.signal); return; }
      if (!('watch' in s)) throw new Error('expected list, got watch');
      const evs = s.watch(opts);
      if (evs === 'hang') { await hang(opts.signal); return; }
      for (const e of evs) { if (e instanceof Error) throw e; yield e; }
    },
  };
  return { lw, calls, exhausted };
}

const list = (rv: string, ...items: Obj[]): ObjectList<Obj> => ({ metadata: { resourceVersion: rv }, items });

function record(informer: SharedInformer<Obj>) {
  const seen: string[] = [];
  informer.addEventHandler({
    add: (o, initial) => { seen.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`); },
    update: (o, n) => { seen.push(`update ${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`); },
    delete: (o) => { seen.push(o instanceof DeletedFinalStateUnknown ? `delete ${o.key} (tombstone)` : `delete ${o.metadata.name}`); },
  });
  return seen;
}

async function settle() { for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)); }

t.test('lists at RV 0, then watches from the list RV with bookmarks and a 5-10 min timeout', async (t) => {
  const clock = new FakeClock();
  const s = scripted([
    { list: () => list('10', obj('a', '3')) },
    { watch: () => [{ type: 'ADDED', object: obj('b', '11') }, { type: 'BOOKMARK', object: obj('', '15') }] },
    { watch: () => 'hang' },
  ]);
  const informer = new SharedInformer(s.lw, { clock, random: () => 0.5 });
  const seen = record(informer);
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await s.exhausted; await settle();
  t.same(s.calls.map((c) => [c.verb, c.opts.resourceVersion]), [['list', '0'], ['watch', '10'], ['watch', '15']],
    'stream end → watch again from the last RV seen (a bookmark counts)');
  const w = s.calls[1]?.opts as WatchOptions;
  t.equal(w.allowWatchBookmarks, true);
  t.equal(w.timeoutSeconds, 450);
  t.ok(informer.hasSynced());
  t.same(seen, ['add a (initial)', 'add b']);
  t.equal(informer.lastSyncResourceVersion(), '15');
  ac.abort();
  await running;
});

t.test('relists after 410 without losing deletes, and falls back to RV "" if that RV is gone too', async (t) => {
  const clock = new FakeClock();
  const s = scripted([
    { list: () => list('10', obj('a', '3'), obj('b', '4')) },
    { watch: () => [{ type: 'MODIFIED', object: obj('a', '12') }, errors.expired('too old resource version: 12 (30)')] },
    { list: (o) => (o.resourceVersion === '12' ? errors.expired('too old resource version: 12 (30)') : new Error('wrong rv')) },
    { list: (o) => (o.resourceVersion === undefined ? list('31', obj('a', '12'), obj('c', '20')) : new Error('wrong rv')) },
    { watch: () => 'hang' },
  ]);
  const errs: unknown[] = [];
  const informer = new SharedInformer(s.lw, { clock, random: () => 0, onError: (e) => errs.push(e) });
  const seen = record(informer);
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await settle();
  t.equal(s.calls.length, 2, 'waits out the back-off before relisting');
  await clock.step(800);
  await s.exhausted; await settle();
  t.same(s.calls.map((c) => [c.verb, c.opts.resourceVersion]),
    [['list', '0'], ['watch', '10'], ['list', '12'], ['list', undefined], ['watch', '31']]);
  t.equal((s.calls[3]?.opts as ListOptions).limit, 500, 'non-zero RV lists are paged');
  t.same(seen, [
    'add a (initial)', 'add b (initial)', 'update a 3->12',
    'update a 12->12', 'add c', 'delete ns/b (tombstone)',
  ]);
  t.same(informer.lister.list().map((o) => o.metadata.name).sort(), ['a', 'c']);
  t.ok(isGone(errs[0]));
  ac.abort();
  await running;
});

t.test('backs off 0.8 s doubling to 30 s while the server refuses connections, keeping its RV', async (t) => {
  const clock = new FakeClock();
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const s = scripted([
    { list: () => list('10') },
    ...Array.from({ length: 8 }, () => ({ watch: () => [refused] }) as Step),
    { watch: () => 'hang' },
  ]);
  const informer = new SharedInformer(s.lw, { clock, random: () => 0 });
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await settle();
  t.equal(s.calls.length, 2, 'list, then the first refused watch');
  const waits: number[] = [];
  let last = clock.now();
  let calls = s.calls.length;
  while (s.calls.length < 10) {
    await clock.step(100);
    if (s.calls.length !== calls) { waits.push(clock.now() - last); last = clock.now(); calls = s.calls.length; }
  }
  t.same(waits, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  t.ok(s.calls.slice(1).every((c) => c.verb === 'watch' && c.opts.resourceVersion === '10'));
  ac.abort();
  await running;
});

t.test('resync re-delivers cached objects as updates with the same RV', async (t) => {
  const clock = new FakeClock();
  const s = scripted([{ list: () => list('10', obj('a', '3')) }, { watch: () => 'hang' }]);
  const informer = new SharedInformer(s.lw, { clock, resyncPeriodMs: 30_000 });
  const seen = record(informer);
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await s.exhausted; await settle();
  await clock.step(30_000); await settle();
  t.same(seen, ['add a (initial)', 'update a 3->3']);
  ac.abort();
  await running;
});

t.test('a slow handler does not stall the others; a late handler is replayed the cache', async (t) => {
  const clock = new FakeClock();
  const s = scripted([
    { list: () => list('10', obj('a', '3')) },
    { watch: () => [{ type: 'ADDED', object: obj('b', '11') }, { type: 'DELETED', object: obj('a', '12') }] },
    { watch: () => 'hang' },
  ]);
  const informer = new SharedInformer(s.lw, { clock });
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const slow: string[] = [];
  const slowReg = informer.addEventHandler({ add: async (o) => { slow.push(o.metadata.name); await gate; } });
  const fast = record(informer);
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  await s.exhausted; await settle();
  t.same(fast, ['add a (initial)', 'add b', 'delete a']);
  t.same(slow, ['a'], 'the slow handler is still on its first event');
  t.notOk(slowReg.hasSynced());
  release(); await settle();
  t.same(slow, ['a', 'b']);
  t.ok(slowReg.hasSynced());
  const late = record(informer);
  await settle();
  t.same(late, ['add b (initial)']);
  ac.abort();
  await running;
});
