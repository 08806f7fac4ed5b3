// The Reflector keeps a store equal to the server's state (client-go tools/cache/reflector.go):
// list (RV "0", servable from the watch cache) → replace the store → watch from the list's RV
// with bookmarks and a random 5–10 min timeout → when the stream ends, watch again from the
// last RV seen → on 410 relist from that RV; if it is gone too, list with RV "" (a consistent
// read). Between list-and-watch cycles it backs off 0.8 s → 30 s, resetting after 2 min.
import { isGone, isStatusError, StatusError } from '../api/errors.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import type { MetaObject } from './indexer.js';
import { realClock, type Clock } from './clock.js';
import { isConnectionRefused, type ListOptions, type ObjectList, type RestClient, type WatchOptions } from './rest-client.js';
import { isStatus, statusErrorFrom, type WatchEvent } from './watch.js';

export interface ListerWatcher<T> {
  list(opts: ListOptions): Promise<ObjectList<T>>;
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

export interface ListWatchScope { namespace?: string; labelSelector?: string; fieldSelector?: string }

/** List and watch one resource through a RestClient, restricted to a namespace and selectors. */
export function listWatchFor<T extends MetaObject>(client: RestClient, res: ResourceInfo, scope: ListWatchScope = {}): ListerWatcher<T> {
  const ns = scope.namespace ?? '';
  const selectors = {
    ...(scope.labelSelector ? { labelSelector: scope.labelSelector } : {}),
    ...(scope.fieldSelector ? { fieldSelector: scope.fieldSelector } : {}),
  };
  const apiVersion = groupVersion(res);
  return {
    async list(opts) {
      const list = await client.list<T>(res, ns, { ...opts, ...selectors });
      // List items come without apiVersion/kind; handlers and the event recorder want them.
      for (const item of list.items) { item.apiVersion ??= apiVersion; item.kind ??= res.kind; }
      return list;
    },
    watch: (opts) => client.watch<T>(res, ns, { ...opts, ...selectors }),
  };
}

/** What the reflector writes into: the informer's delta processor, or a plain Store. */
export interface ReflectorStore<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  replace(list: T[], resourceVersion: string): void;
}

export interface BackoffOptions { initialMs: number; maxMs: number; resetAfterMs: number }

export interface ReflectorOptions {
  name?: string;
  clock?: Clock;
  backoff?: BackoffOptions;
  /** In [0, 1): picks the watch timeout and the backoff jitter. */
  random?: () => number;
  pageSize?: number;
  /** Told of every error the reflector recovers from. */
  onError?: (err: unknown) => void;
}

export const DEFAULT_REFLECTOR_BACKOFF: BackoffOptions = { initialMs: 800, maxMs: 30_000, resetAfterMs: 120_000 };
const MIN_WATCH_TIMEOUT_SECONDS = 300;

export class Reflector<T extends MetaObject> {
  readonly name: string;
  readonly #lw: ListerWatcher<T>;
  readonly #store: ReflectorStore<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #pageSize: number;
  readonly #onError: (err: unknown) => void;
  readonly #backoff: JitteredBackoff;
  #lastSyncResourceVersion = '';
  #isLastSyncResourceVersionUnavailable = false;

  constructor(lw: ListerWatcher<T>, store: ReflectorStore<T>, opts: ReflectorOptions = {}) {
    this.name = opts.name ?? 'reflector';
    this.#lw = lw;
    this.#store = store;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#pageSize = opts.pageSize ?? 500;
    this.#onError = opts.onError ?? (() => {});
    this.#backoff = new JitteredBackoff(opts.backoff ?? DEFAULT_REFLECTOR_BACKOFF, this.#clock, this.#random);
  }

  lastSyncResourceVersion(): string { return this.#lastSyncResourceVersion; }

  /** Runs until signal aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndWatch(signal);
      } catch (e) {
        if (signal.aborted) break;
        this.#onError(e);
      }
      if (signal.aborted) break;
      try { await this.#clock.sleep(this.#backoff.next(), signal); } catch { break; }
    }
  }

  /** One list followed by watches until an error that needs a relist. */
  async listAndWatch(signal: AbortSignal): Promise<void> {
    await this.#list(signal);
    while (!signal.aborted) {
      const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + this.#random()));
      const started = this.#clock.now();
      let events = 0;
      try {
        const stream = this.#lw.watch({
          resourceVersion: this.#lastSyncResourceVersion, allowWatchBookmarks: true, timeoutSeconds, signal,
        });
        for await (const ev of stream) {
          this.#handle(ev);
          events++;
        }
      } catch (e) {
        if (signal.aborted) return;
        if (isGone(e)) {
          // A list at this RV returns data at least as fresh, so relist from it first.
          this.#onError(e);
          return;
        }
        if (events === 0 && (isConnectionRefused(e) || (isStatusError(e) && e.code === 429))) {
          // The server is down or busy: keep our RV and watch again after backing off.
          this.#onError(e);
          try { await this.#clock.sleep(this.#backoff.next(), signal); } catch { return; }
          continue;
        }
        if (isStatusError(e) || events === 0) throw e;
        // The connection broke mid-stream: as if the server closed it; watch on from our RV.
        this.#onError(e);
        continue;
      }
      if (signal.aborted) return;
      if (events === 0 && this.#clock.now() - started < 1000) {
        throw new Error(`${this.name}: very short watch: unexpected watch close - watch lasted less than a second and no items received`);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const rv = this.#relistResourceVersion();
    let list: { items: T[]; resourceVersion: string };
    try {
      list = await this.#listAll(rv, signal);
    } catch (e) {
      if (!isGone(e) || rv === '') throw e;
      // Our RV has been compacted away: read the current state instead.
      this.#isLastSyncResourceVersionUnavailable = true;
      list = await this.#listAll('', signal);
    }
    this.#isLastSyncResourceVersionUnavailable = false;
    this.#store.replace(list.items, list.resourceVersion);
    this.#lastSyncResourceVersion = list.resourceVersion;
  }

  async #listAll(resourceVersion: string, signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    // RV "0" is served from the watch cache, which does not page.
    if (resourceVersion === '0') {
      const list = await this.#lw.list({ resourceVersion, signal });
      return { items: list.items, resourceVersion: list.metadata.resourceVersion ?? '' };
    }
    const items: T[] = [];
    let opts: ListOptions = { limit: this.#pageSize, signal, ...(resourceVersion ? { resourceVersion } : {}) };
    for (;;) {
      const page = await this.#lw.list(opts);
      items.push(...page.items);
      const next = page.metadata.continue;
      if (!next) return { items, resourceVersion: page.metadata.resourceVersion ?? '' };
      opts = { limit: this.#pageSize, continue: next, signal };
    }
  }

  #relistResourceVersion(): string {
    if (this.#isLastSyncResourceVersionUnavailable) return '';
    return this.#lastSyncResourceVersion || '0';
  }

  #handle(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') {
      throw isStatus(ev.object) ? statusErrorFrom(ev.object, 500) : new StatusError(500, 'InternalError', `${this.name}: watch error event`);
    }
    const rv = ev.object.metadata?.resourceVersion;
    switch (ev.type) {
      case 'ADDED': this.#store.add(ev.object); break;
      case 'MODIFIED': this.#store.update(ev.object); break;
      case 'DELETED': this.#store.delete(ev.object); break;
      case 'BOOKMARK': break;
    }
    if (rv) this.#lastSyncResourceVersion = rv;
  }
}

/** client-go's jittered exponential backoff manager: doubles per use, resets after a quiet period. */
export class JitteredBackoff {
  #currentMs = 0;
  #lastStart = Number.NEGATIVE_INFINITY;
  constructor(readonly opts: BackoffOptions, readonly clock: Clock = realClock, readonly random: () => number = Math.random) {}

  next(): number {
    const now = this.clock.now();
    this.#currentMs = now - this.#lastStart > this.opts.resetAfterMs
      ? this.opts.initialMs
      : Math.min(this.#currentMs * 2, this.opts.maxMs);
    this.#lastStart = now;
    return Math.min(this.opts.maxMs, this.#currentMs * (1 + this.random()));
  }
}
