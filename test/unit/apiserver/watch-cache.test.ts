// The watch cache's delivery rules, over a storage whose watch is fed by the test: what a
// watcher with no selector gets, what one with a selector gets (selector transitions), and that
// both stay the same when many watchers share the events.
import t from 'tap';
import { pino } from 'pino';
import type { KubeObject } from '../../../pkg/api/meta.js';
import type { Storage, StorageEvent } from '../../../pkg/storage/storage.js';
import { WatchCache, type CachedEvent, type WatchFilter, type WatchSink } from '../../../pkg/apiserver/watch-cache.js';

const PREFIX = '/registry/configmaps/';

/** A storage with nothing listed and a watch that yields what `emit` is given. */
function fakeStorage() {
  const queue: StorageEvent<KubeObject>[] = [];
  let wake: (() => void) | undefined;
  const storage = {
    async list() { return { items: [], revision: 1 }; },
    watch(_prefix: string, opts: { signal: AbortSignal }) {
      return (async function* () {
        while (!opts.signal.aborted) {
          const ev = queue.shift();
          if (ev) { yield ev; continue; }
          await new Promise<void>((r) => { wake = r; opts.signal.addEventListener('abort', () => r(), { once: true }); });
        }
      })();
    },
  } as unknown as Storage;
  return { storage, emit(...evs: StorageEvent<KubeObject>[]) { queue.push(...evs); wake?.(); } };
}

const cm = (name: string, rv: number, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: String(rv), ...(labels ? { labels } : {}) } });
const ev = (type: StorageEvent<KubeObject>['type'], rv: number, labels?: Record<string, string>, prevLabels?: Record<string, string> | null): StorageEvent<KubeObject> => ({
  type, key: `${PREFIX}ns/a`, object: cm('a', rv, labels), revision: rv,
  ...(prevLabels === undefined ? {} : prevLabels === null ? {} : { prevObject: cm('a', rv - 1, prevLabels) }),
});

/** A sink that records "TYPE rv" and resolves `got(n)` once it has n events. */
function recorder() {
  const seen: string[] = [];
  let want = Infinity; let done: (() => void) | undefined;
  const sink: WatchSink = {
    send(e) {
      if (e.type === 'BOOKMARK') return;
      const c = e as CachedEvent;
      seen.push(`${c.type} ${JSON.parse(c.object.json).metadata.resourceVersion as string}`);
      if (seen.length >= want) done?.();
    },
    close() {},
  };
  const got = (n: number) => (seen.length >= n ? Promise.resolve() : new Promise<void>((r) => { want = n; done = r; }));
  return { sink, seen, got };
}

const teamA = (attrs: { labels: Readonly<Record<string, string>> | undefined }) => attrs.labels?.['team'] === 'a';
const filters: Record<string, WatchFilter> = {
  'no selector (everything)': { keyPrefix: `${PREFIX}ns/`, matches: () => true, everything: true },
  'a selector that matches everything': { keyPrefix: `${PREFIX}ns/`, matches: () => true },
  'team=a': { keyPrefix: `${PREFIX}ns/`, matches: teamA },
};

async function watchAll(cache: WatchCache, watchers: number) {
  const ac = new AbortController();
  const out: Record<string, ReturnType<typeof recorder>[]> = {};
  for (const [name, filter] of Object.entries(filters)) {
    out[name] = [];
    for (let i = 0; i < watchers; i++) {
      const r = recorder();
      await cache.watch(1, filter, r.sink, ac.signal, false);
      out[name]!.push(r);
    }
  }
  return { out, stop: () => ac.abort() };
}

t.test('watchers with and without a selector get Kubernetes\' events and transitions, each the same', async (t) => {
  const { storage, emit } = fakeStorage();
  const cache = new WatchCache({ storage, prefix: PREFIX, logger: pino({ level: 'silent' }), attrsOf: (o) => ({ labels: o.metadata?.labels, fields: {} }) });
  t.teardown(() => cache.stop());
  const { out, stop } = await watchAll(cache, 3);
  t.teardown(stop);
  emit(
    ev('ADDED', 2, { team: 'a' }),
    ev('MODIFIED', 3, { team: 'b' }, { team: 'a' }),  // leaves team=a
    ev('MODIFIED', 4, { team: 'a' }, { team: 'b' }),  // comes back
    ev('MODIFIED', 5, { team: 'a' }, { team: 'a' }),
    ev('DELETED', 6, { team: 'a' }, { team: 'a' }),
    ev('MODIFIED', 7, { team: 'a' }, null),           // gone from the cache, no previous state
    ev('DELETED', 8, { team: 'b' }, null),            // the cache still knows rv 7 (team=a)
  );
  const want: Record<string, string[]> = {
    'no selector (everything)': ['ADDED 2', 'MODIFIED 3', 'MODIFIED 4', 'MODIFIED 5', 'DELETED 6', 'ADDED 7', 'DELETED 8'],
    'a selector that matches everything': ['ADDED 2', 'MODIFIED 3', 'MODIFIED 4', 'MODIFIED 5', 'DELETED 6', 'ADDED 7', 'DELETED 8'],
    'team=a': ['ADDED 2', 'DELETED 3', 'ADDED 4', 'MODIFIED 5', 'DELETED 6', 'ADDED 7', 'DELETED 8'],
  };
  for (const [name, recorders] of Object.entries(out)) {
    for (const [i, r] of recorders.entries()) {
      await r.got(want[name]!.length);
      t.same(r.seen, want[name], `${name}, watcher ${i}`);
    }
  }
});

t.test('a watcher outside the namespace prefix gets nothing', async (t) => {
  const { storage, emit } = fakeStorage();
  const cache = new WatchCache({ storage, prefix: PREFIX, logger: pino({ level: 'silent' }), attrsOf: (o) => ({ labels: o.metadata?.labels, fields: {} }) });
  t.teardown(() => cache.stop());
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const other = recorder();
  const mine = recorder();
  await cache.watch(1, { keyPrefix: `${PREFIX}other/`, matches: () => true, everything: true }, other.sink, ac.signal, false);
  await cache.watch(1, { keyPrefix: `${PREFIX}ns/`, matches: () => true, everything: true }, mine.sink, ac.signal, false);
  emit(ev('ADDED', 2), ev('MODIFIED', 3, undefined, {}));
  await mine.got(2);
  t.same(mine.seen, ['ADDED 2', 'MODIFIED 3']);
  t.same(other.seen, []);
});

t.test('a cache whose list fails refuses with 429 and loads on a later request', async (t) => {
  const { storage } = fakeStorage();
  let lists = 0;
  let failing = true;
  storage.list = (async () => {
    lists++;
    if (failing) throw new Error('etcd unreachable');
    return { items: [cm('a', 5)], revision: 5 };
  }) as Storage['list'];
  const cache = new WatchCache({ storage, prefix: PREFIX, logger: pino({ level: 'silent' }), attrsOf: (o) => ({ labels: o.metadata?.labels, fields: {} }) });
  t.teardown(() => cache.stop());
  const everything: WatchFilter = { keyPrefix: PREFIX, matches: () => true, everything: true };

  const waiting = await Promise.allSettled([cache.ready(), cache.list(everything)]);
  t.equal(lists, 1, 'requests that arrive together wait for one list');
  for (const r of waiting) {
    t.match(r, { status: 'rejected', reason: { code: 429, reason: 'TooManyRequests', message: 'storage is (re)initializing', status: { details: { retryAfterSeconds: 1 } } } });
  }
  t.equal(await cache.peek(`${PREFIX}ns/a`), undefined, 'peek answers nothing, so its caller reads etcd');
  t.equal(lists, 2, 'each later request tries again');

  failing = false;
  t.same((await cache.list(everything)).items.map((j) => JSON.parse(j).metadata.name), ['a']);
  t.equal(cache.revision, 5);
  await cache.ready();
  t.equal(lists, 3, 'a loaded cache lists no more');
});
