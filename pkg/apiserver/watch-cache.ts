// One etcd watch per resource, fanned out in memory to every HTTP watcher. The cache holds the
// current objects (so lists at resourceVersion=0 and watches without a resourceVersion are
// served from memory) and a window of recent events (so watchers can resume). A watcher asking
// for history older than the window is served straight from etcd when etcd still has it, and
// gets 410 Expired when it does not.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import { errors } from '../api/errors.js';
import { CompactedError, type Storage, type StorageEvent } from '../storage/storage.js';
import { setTimeout as sleep } from 'node:timers/promises';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent { type: WatchEventType; object: KubeObject }

/** What selectors look at: an object's labels and its field-selector values. */
export interface ObjectAttrs {
  labels: Readonly<Record<string, string>> | undefined;
  fields: Readonly<Record<string, string>>;
}

/**
 * An object as the cache keeps it: serialised once (resourceVersion included), with what
 * selectors need beside it. Holding JSON rather than parsed objects keeps memory small and
 * lets lists and watch events be written without serialising again.
 */
export interface CachedObject extends ObjectAttrs { json: string }

export interface CachedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  object: CachedObject;
  prev?: ObjectAttrs | undefined;
  revision: number;
  /**
   * The event as one HTTP/1.1 chunk of a JSON watch stream (size, line, CRLF), encoded once
   * for every JSON watcher, lazily, and written to each as is.
   */
  chunk?: Buffer;
  /** The same event as a selector transition (ADDED, DELETED), built once for every watcher that sees it so. */
  asAdded?: CachedEvent;
  asDeleted?: CachedEvent;
}

export interface WatchFilter {
  /** Key prefix: the resource prefix, or a namespace below it. */
  keyPrefix: string;
  matches(attrs: ObjectAttrs): boolean;
  /** Set when matches() accepts every object (no selector): delivery skips it. */
  everything?: boolean;
}

/** What a watcher receives; `send` returns false when the client is gone. */
export interface WatchSink {
  send(ev: CachedEvent | { type: 'BOOKMARK'; revision: number }): void;
  close(err?: Error): void;
}

interface Subscriber { filter: WatchFilter; sink: WatchSink }

export interface WatchSubscription {
  stop(): void;
  /** Every event up to this revision has been offered to the watcher: what a bookmark may say. */
  revision(): number;
}

export interface WatchCacheOptions {
  storage: Storage;
  prefix: string;            // e.g. /registry/pods/
  logger: Logger;
  /** Labels and field-selector values of an object of this resource. */
  attrsOf(obj: KubeObject): ObjectAttrs;
  /** The object as served (apiVersion and kind of the served version). */
  served?(obj: KubeObject): KubeObject;
  windowSize?: number;       // events kept for resumption
}

export class WatchCache {
  readonly #storage: Storage;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #windowSize: number;
  readonly #attrsOf: (obj: KubeObject) => ObjectAttrs;
  readonly #served: (obj: KubeObject) => KubeObject;
  readonly #objects = new Map<string, CachedObject>();
  readonly #window: CachedEvent[] = [];
  readonly #subscribers = new Set<Subscriber>();
  readonly #abort = new AbortController();
  /** The length of every cached object's JSON, summed: what a full list of them weighs. */
  #objectBytes = 0;
  #revision = 0;          // everything up to here is reflected in #objects
  #oldest = 0;            // the window covers (#oldest, #revision]
  /** #objects holds a complete list (and #run follows etcd from it). */
  #loaded = false;
  /** The load attempt in flight, shared by every request that waits for it. */
  #loading: Promise<void> | undefined;
  #running = false;
  #waiters: { revision: number; resolve: () => void }[] = [];

  constructor(opts: WatchCacheOptions) {
    this.#storage = opts.storage;
    this.#prefix = opts.prefix;
    this.#log = opts.logger;
    this.#windowSize = opts.windowSize ?? 10_000;
    this.#attrsOf = opts.attrsOf;
    this.#served = opts.served ?? ((o) => o);
  }

  #entry(obj: KubeObject): CachedObject {
    return { json: JSON.stringify(this.#served(obj)), ...this.#attrsOf(obj) };
  }

  #event(ev: StorageEvent<KubeObject>, prev: ObjectAttrs | undefined): CachedEvent {
    return { type: ev.type, key: ev.key, object: this.#entry(ev.object), prev: prev ?? (ev.prevObject ? this.#attrsOf(ev.prevObject) : undefined), revision: ev.revision };
  }

  get revision(): number { return this.#revision; }
  get watcherCount(): number { return this.#subscribers.size; }
  /** How many objects the cache holds (what priority and fairness sizes a list by); undefined until it has loaded. */
  get objectCount(): number | undefined { return this.#loaded ? this.#objects.size : undefined; }
  /** The JSON length of all cached objects (what a full list sends); undefined until it has loaded. */
  get objectBytes(): number | undefined { return this.#loaded ? this.#objectBytes : undefined; }

  /**
   * Starts the cache on first use; resolves once it holds a complete list. When the list
   * cannot be loaded (etcd unreachable) the request is refused with 429 and a Retry-After, as
   * Kubernetes' cacher refuses requests while it is (re)initializing; the next request tries
   * again, so a cache never stays broken after an outage.
   */
  ready(): Promise<void> {
    if (this.#loaded) return LOADED;
    return this.#loading ??= this.#attemptLoad();
  }

  async #attemptLoad(): Promise<void> {
    try {
      await this.#load();
    } catch (e) {
      this.#log.warn({ prefix: this.#prefix, err: String(e) }, 'watch cache could not load its list');
      throw errors.tooManyRequests('storage is (re)initializing', 1);
    } finally {
      this.#loading = undefined;
    }
    this.#loaded = true;
    if (!this.#running) { this.#running = true; void this.#run(); }
  }

  async #load(): Promise<void> {
    const list = await this.#storage.list<KubeObject>(this.#prefix);
    this.#objects.clear();
    this.#objectBytes = 0;
    for (const obj of list.items) {
      const entry = this.#entry(obj);
      this.#objects.set(keyOf(this.#prefix, obj), entry);
      this.#objectBytes += entry.json.length;
    }
    this.#revision = list.revision;
    this.#oldest = list.revision;
    this.#window.length = 0;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for await (const ev of this.#storage.watch<KubeObject>(this.#prefix, { fromRevision: this.#revision, signal })) {
          this.#apply(ev);
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof CompactedError) {
          // We fell behind etcd's compaction: start again from a fresh list. Watchers cannot
          // be told what they missed, so they get 410 and relist, as with Kubernetes' cacher.
          this.#log.warn({ prefix: this.#prefix }, 'watch cache fell behind compaction, relisting');
          for (const s of this.#subscribers) s.sink.close(errors.expired('too old resource version'));
          this.#subscribers.clear();
          this.#loaded = false;
          while (!this.#loaded && !signal.aborted) {
            await this.ready().catch(() => sleep(1000, undefined, { signal }).catch(() => undefined));
          }
        } else {
          this.#log.warn({ prefix: this.#prefix, err: String(e) }, 'watch cache lost its etcd watch, resuming');
          await sleep(200, undefined, { signal }).catch(() => undefined);
        }
      }
    }
  }

  #apply(ev: StorageEvent<KubeObject>): void {
    const before = this.#objects.get(ev.key);
    const cached = this.#event(ev, before);
    this.#objectBytes -= before?.json.length ?? 0;
    if (ev.type === 'DELETED') this.#objects.delete(ev.key);
    else { this.#objects.set(ev.key, cached.object); this.#objectBytes += cached.object.json.length; }
    this.#revision = ev.revision;
    this.#window.push(cached);
    if (this.#window.length > this.#windowSize) {
      const dropped = this.#window.splice(0, this.#window.length - this.#windowSize);
      this.#oldest = dropped[dropped.length - 1]!.revision;
    }
    for (const s of this.#subscribers) deliver(s, cached);
    if (this.#waiters.length) {
      const still: { revision: number; resolve: () => void }[] = [];
      for (const w of this.#waiters) (w.revision <= this.#revision ? w.resolve() : still.push(w));
      this.#waiters = still;
    }
  }

  /** Waits until the cache has seen `revision` (a client read its own write elsewhere). */
  async waitFor(revision: number, timeoutMs = 3000): Promise<void> {
    await this.ready();
    if (revision <= this.#revision) return;
    const reached = new Promise<void>((resolve) => this.#waiters.push({ revision, resolve }));
    const ac = new AbortController();
    const timer = sleep(timeoutMs, 'timeout' as const, { signal: ac.signal });
    try {
      if ((await Promise.race([reached, timer])) === 'timeout') {
        throw errors.timeout(`Too large resource version: ${revision}, current: ${this.#revision}`);
      }
    } finally {
      ac.abort();
      timer.catch(() => undefined);
    }
  }

  /**
   * The cached entry at key, if the cache has seen it; the same entry until the object changes.
   * Undefined too while the cache cannot load: the caller reads etcd instead.
   */
  async peek(key: string): Promise<CachedObject | undefined> {
    try { await this.ready(); } catch { return undefined; }
    return this.#objects.get(key);
  }

  /** A snapshot of the current objects matching the filter (as JSON, in key order), and its revision. */
  async list(filter: WatchFilter, minRevision = 0): Promise<{ items: string[]; revision: number }> {
    await this.waitFor(minRevision);
    const matching: [string, string][] = [];
    for (const [key, entry] of this.#objects) {
      if (key.startsWith(filter.keyPrefix) && filter.matches(entry)) matching.push([key, entry.json]);
    }
    matching.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { items: matching.map((m) => m[1]), revision: this.#revision };
  }

  /**
   * Subscribes a watcher to the events after fromRevision. With initialEvents the watcher
   * first gets the current state (at least fromRevision) as ADDED events and then every
   * change; fromRevision 0 without initialEvents starts at the newest revision. Throws 410
   * Expired when the history asked for is gone everywhere.
   */
  async watch(fromRevision: number, filter: WatchFilter, sink: WatchSink, signal: AbortSignal,
    initialEvents = fromRevision === 0): Promise<WatchSubscription> {
    await this.ready();
    if (fromRevision > this.#revision) await this.waitFor(fromRevision);
    const sub = { filter, sink };
    // Delivery from the cache is synchronous, so the cache's revision is this watcher's too.
    const subscription = { stop: () => { this.#subscribers.delete(sub); }, revision: () => this.#revision };
    if (initialEvents) {
      for (const [key, entry] of this.#objects) {
        if (key.startsWith(filter.keyPrefix) && filter.matches(entry)) {
          sink.send({ type: 'ADDED', key, object: entry, revision: this.#revision });
        }
      }
      this.#subscribers.add(sub);
      return subscription;
    }
    if (fromRevision === 0 || fromRevision >= this.#oldest) {
      for (const ev of this.#window) if (ev.revision > fromRevision && fromRevision !== 0) deliver(sub, ev);
      this.#subscribers.add(sub);
      return subscription;
    }
    return this.#watchFromEtcd(fromRevision, filter, sink, signal);
  }

  /** History older than the window, e.g. after this apiserver restarted: etcd may still have it. */
  async #watchFromEtcd(fromRevision: number, filter: WatchFilter, sink: WatchSink, signal: AbortSignal): Promise<WatchSubscription> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const events = this.#storage.watch<KubeObject>(this.#prefix, { fromRevision, signal: ac.signal })[Symbol.asyncIterator]();
    // Read the first event (or the compaction error) before answering, so a gone revision is a 410.
    let first: IteratorResult<StorageEvent<KubeObject>> | undefined;
    const firstRead = events.next();
    const waited = new AbortController();
    try {
      first = await Promise.race([firstRead, sleep(500, undefined, { signal: waited.signal }).then(() => undefined, () => undefined)]);
    } catch (e) {
      ac.abort();
      if (e instanceof CompactedError) throw errors.expired(`too old resource version: ${fromRevision} (${this.#oldest})`);
      throw e;
    } finally {
      waited.abort();
    }
    const sub: Subscriber = { filter, sink };
    // This watcher runs behind the cache: its bookmarks may only claim what it has seen itself.
    let seen = fromRevision;
    void (async () => {
      try {
        let next = first ?? await firstRead;
        while (!next.done) {
          const ev = next.value;
          deliver(sub, this.#event(ev, undefined));
          seen = ev.revision;
          next = await events.next();
        }
      } catch (e) {
        if (!ac.signal.aborted) sink.close(e instanceof CompactedError ? errors.expired(`too old resource version: ${fromRevision}`) : e as Error);
      }
    })();
    return { stop: () => { ac.abort(); signal.removeEventListener('abort', onAbort); }, revision: () => seen };
  }

  stop(): void {
    this.#abort.abort();
    for (const s of this.#subscribers) s.sink.close();
    this.#subscribers.clear();
  }
}

/**
 * Kubernetes' selector transitions: an object that stops matching is sent as DELETED, one that
 * starts matching as ADDED. Runs once per watcher per event, so the common case (no selector)
 * is decided first, without calling the filter.
 */
function deliver(sub: Subscriber, ev: CachedEvent): void {
  if (!ev.key.startsWith(sub.filter.keyPrefix)) return;
  // Without a selector every object matches before and after: the event goes out as it is,
  // except a MODIFIED whose previous state is unknown, which the general rule sends as ADDED.
  if (sub.filter.everything && (ev.type !== 'MODIFIED' || ev.prev)) { sub.sink.send(ev); return; }
  const now = ev.type !== 'DELETED' && sub.filter.matches(ev.object);
  const before = ev.type === 'ADDED' ? false
    : ev.prev ? sub.filter.matches(ev.prev) : ev.type === 'DELETED' && sub.filter.matches(ev.object);
  if (ev.type === 'DELETED') { if (before) sub.sink.send(ev); return; }
  if (now && before) sub.sink.send(ev);
  else if (now) sub.sink.send(ev.type === 'ADDED' ? ev : ev.asAdded ??= { type: 'ADDED', key: ev.key, object: ev.object, revision: ev.revision });
  else if (before) sub.sink.send(ev.asDeleted ??= { type: 'DELETED', key: ev.key, object: ev.object, revision: ev.revision });
}

const LOADED = Promise.resolve();

function keyOf(prefix: string, obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${prefix}${ns}/${obj.metadata?.name}` : `${prefix}${obj.metadata?.name}`;
}
