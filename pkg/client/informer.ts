// The shared informer (client-go tools/cache/shared_informer.go): one Reflector filling one
// Indexer, and one buffered listener per event handler so a slow handler stalls nobody.
// Handlers should only turn objects into queue keys.
import { objectKey } from '../api/meta.js';
import { realClock, type Clock } from './clock.js';
import { Indexer, type Indexers, type MetaObject } from './indexer.js';
import { IndexerLister, type DeepReadonly, type Lister } from './lister.js';
import { Reflector, type ListerWatcher, type ReflectorOptions, type ReflectorStore } from './reflector.js';

/**
 * Handed to delete when the informer missed the DELETED event (it was disconnected) and
 * found the object gone on relist: `obj` is the last state it knew.
 */
export class DeletedFinalStateUnknown<T> {
  constructor(readonly key: string, readonly obj: T) {}
}

export interface ResourceEventHandler<T> {
  /** isInInitialList: the object came from the informer's first list (or is being replayed to a new handler). */
  add?(obj: DeepReadonly<T>, isInInitialList: boolean): void | Promise<void>;
  /** Also called on relist and resync with old and new of the same resourceVersion. */
  update?(oldObj: DeepReadonly<T>, newObj: DeepReadonly<T>): void | Promise<void>;
  delete?(obj: DeepReadonly<T> | DeletedFinalStateUnknown<DeepReadonly<T>>): void | Promise<void>;
}

export interface ResourceEventHandlerRegistration {
  /** True once the informer has synced and this handler has been told of everything in that first list. */
  hasSynced(): boolean;
  remove(): void;
}

export interface InformerSyncer { hasSynced(): boolean }

export interface SharedInformerOptions<T> extends ReflectorOptions {
  /** Re-deliver every cached object as update(obj, obj) this often; 0 = never. */
  resyncPeriodMs?: number;
  indexers?: Indexers<T>;
}

type Notification<T> =
  | { type: 'add'; obj: T; isInInitialList: boolean }
  | { type: 'update'; oldObj: T; newObj: T }
  | { type: 'delete'; obj: T | DeletedFinalStateUnknown<T> };

export class SharedInformer<T extends MetaObject> implements InformerSyncer {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  readonly #reflector: Reflector<T>;
  readonly #clock: Clock;
  readonly #resyncPeriodMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #listeners = new Set<ProcessorListener<T>>();
  #synced = false;
  #started = false;

  constructor(lw: ListerWatcher<T>, opts: SharedInformerOptions<T> = {}) {
    this.indexer = new Indexer<T>(opts.indexers ?? {});
    this.lister = new IndexerLister(this.indexer);
    this.#clock = opts.clock ?? realClock;
    this.#resyncPeriodMs = opts.resyncPeriodMs ?? 0;
    this.#onError = opts.onError ?? (() => {});
    this.#reflector = new Reflector(lw, this.#deltaStore(), opts);
  }

  hasSynced(): boolean { return this.#synced; }
  lastSyncResourceVersion(): string { return this.#reflector.lastSyncResourceVersion(); }
  isStarted(): boolean { return this.#started; }

  addEventHandler(handler: ResourceEventHandler<T>): ResourceEventHandlerRegistration {
    const listener = new ProcessorListener<T>(handler, this.#onError);
    this.#listeners.add(listener);
    // A late handler is told of everything already cached, as client-go does.
    for (const obj of this.indexer.list()) listener.push({ type: 'add', obj, isInInitialList: true });
    if (this.#synced) listener.markSynced();
    return {
      hasSynced: () => this.#synced && listener.hasSynced(),
      remove: () => { listener.stop(); this.#listeners.delete(listener); },
    };
  }

  /** Runs until signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('informer already started');
    this.#started = true;
    const resync = this.#resyncPeriodMs > 0 ? this.#resyncLoop(signal) : Promise.resolve();
    await Promise.all([this.#reflector.run(signal), resync]);
    for (const l of this.#listeners) l.stop();
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      try { await this.#clock.sleep(this.#resyncPeriodMs, signal); } catch { return; }
      if (!this.#synced) continue;
      for (const obj of this.indexer.list()) this.#distribute({ type: 'update', oldObj: obj, newObj: obj });
    }
  }

  #distribute(n: Notification<T>): void {
    for (const l of this.#listeners) l.push(n);
  }

  /** Applies the reflector's changes to the cache and tells the handlers what changed. */
  #deltaStore(): ReflectorStore<T> {
    const upsert = (obj: T) => {
      const old = this.indexer.get(obj);
      this.indexer.update(obj);
      this.#distribute(old === undefined ? { type: 'add', obj, isInInitialList: false } : { type: 'update', oldObj: old, newObj: obj });
    };
    return {
      add: upsert,
      update: upsert,
      delete: (obj) => {
        this.indexer.delete(obj);
        this.#distribute({ type: 'delete', obj });
      },
      replace: (list, resourceVersion) => {
        const initial = !this.#synced;
        const notifications: Notification<T>[] = [];
        const seen = new Set<string>();
        for (const obj of list) {
          const key = objectKey(obj);
          seen.add(key);
          const old = this.indexer.getByKey(key);
          notifications.push(old === undefined
            ? { type: 'add', obj, isInInitialList: initial }
            : { type: 'update', oldObj: old, newObj: obj });
        }
        // Whatever vanished while we were not watching: its DELETED event was missed.
        for (const key of this.indexer.listKeys()) {
          if (seen.has(key)) continue;
          const old = this.indexer.getByKey(key);
          if (old !== undefined) notifications.push({ type: 'delete', obj: new DeletedFinalStateUnknown(key, old) });
        }
        this.indexer.replace(list, resourceVersion);
        for (const n of notifications) this.#distribute(n);
        if (initial) {
          this.#synced = true;
          for (const l of this.#listeners) l.markSynced();
        }
      },
    };
  }
}

/** One handler's unbounded buffer, drained asynchronously in order. */
class ProcessorListener<T> {
  #buffer: Notification<T>[] = [];
  #running = false;
  #stopped = false;
  #pushed = 0;
  #delivered = 0;
  #syncTarget: number | undefined;

  constructor(readonly handler: ResourceEventHandler<T>, readonly onError: (err: unknown) => void) {}

  push(n: Notification<T>): void {
    if (this.#stopped) return;
    this.#buffer.push(n);
    this.#pushed++;
    if (!this.#running) {
      this.#running = true;
      void this.#pump();
    }
  }

  markSynced(): void { this.#syncTarget ??= this.#pushed; }
  hasSynced(): boolean { return this.#syncTarget !== undefined && this.#delivered >= this.#syncTarget; }
  stop(): void { this.#stopped = true; this.#buffer = []; }

  async #pump(): Promise<void> {
    await Promise.resolve(); // never deliver inside the reflector's call stack
    let n: Notification<T> | undefined;
    while (!this.#stopped && (n = this.#buffer.shift()) !== undefined) {
      try {
        await this.#deliver(n);
      } catch (e) {
        this.onError(e);
      }
      this.#delivered++;
    }
    this.#running = false;
  }

  #deliver(n: Notification<T>): void | Promise<void> {
    const h = this.handler;
    type R = DeepReadonly<T>;
    switch (n.type) {
      case 'add': return h.add?.(n.obj as R, n.isInInitialList);
      case 'update': return h.update?.(n.oldObj as R, n.newObj as R);
      case 'delete': return h.delete?.(n.obj as R | DeletedFinalStateUnknown<R>);
    }
  }
}

/** Resolves true once every informer has synced, false if signal aborts first (polls like client-go). */
export async function waitForCacheSync(signal: AbortSignal, ...informers: InformerSyncer[]): Promise<boolean> {
  while (!informers.every((i) => i.hasSynced())) {
    if (signal.aborted) return false;
    try { await realClock.sleep(100, signal); } catch { return false; }
  }
  return true;
}
