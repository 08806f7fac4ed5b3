// One informer per resource (and namespace/selector scope) per process, shared by every
// controller in it (client-go's SharedInformerFactory): one list+watch, one cache.
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { Clock } from './clock.js';
import type { MetaObject } from './indexer.js';
import { SharedInformer, waitForCacheSync } from './informer.js';
import { listWatchFor, type ListWatchScope } from './reflector.js';
import type { RestClient } from './rest-client.js';
import type { ResourceName, ResourceTypes } from './resource-types.js';

export interface InformerFactoryOptions {
  resyncPeriodMs?: number;
  /** Default scope for every informer this factory makes (client-go WithNamespace/WithTweakListOptions). */
  namespace?: string;
  clock?: Clock;
  onError?: (resource: string, err: unknown) => void;
}

export class InformerFactory {
  readonly #client: RestClient;
  readonly #opts: InformerFactoryOptions;
  readonly #informers = new Map<string, SharedInformer<MetaObject>>();
  readonly #running: Promise<void>[] = [];

  constructor(client: RestClient, opts: InformerFactoryOptions = {}) {
    this.#client = client;
    this.#opts = opts;
  }

  /** The shared informer of a resource: `factory.informer('pods').lister.get(ns, name)`. */
  informer<N extends ResourceName>(plural: N, scope?: ListWatchScope): SharedInformer<ResourceTypes[N]> {
    const info = RESOURCES.find((r) => r.plural === plural);
    if (!info) throw new Error(`unknown resource ${plural}`);
    return this.informerFor<ResourceTypes[N]>(info, scope);
  }

  informerFor<T extends MetaObject>(res: ResourceInfo, scope: ListWatchScope = {}): SharedInformer<T> {
    const full: ListWatchScope = { ...(this.#opts.namespace ? { namespace: this.#opts.namespace } : {}), ...scope };
    const key = [res.group, res.version, res.plural, full.namespace ?? '', full.labelSelector ?? '', full.fieldSelector ?? ''].join('|');
    let informer = this.#informers.get(key);
    if (!informer) {
      const name = `${res.plural}${res.group ? `.${res.group}` : ''}`;
      const onError = this.#opts.onError;
      informer = new SharedInformer<MetaObject>(listWatchFor(this.#client, res, full), {
        name,
        ...(this.#opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: this.#opts.resyncPeriodMs } : {}),
        ...(this.#opts.clock ? { clock: this.#opts.clock } : {}),
        ...(onError ? { onError: (e: unknown) => onError(name, e) } : {}),
      });
      this.#informers.set(key, informer);
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** Runs every informer requested so far that is not running yet; call again after asking for more. */
  start(signal: AbortSignal): void {
    for (const informer of this.#informers.values()) {
      if (!informer.isStarted()) this.#running.push(informer.run(signal));
    }
  }

  waitForCacheSync(signal: AbortSignal): Promise<boolean> {
    return waitForCacheSync(signal, ...this.#informers.values());
  }

  /** Resolves when every started informer has stopped (after the start signal aborts). */
  async shutdown(): Promise<void> { await Promise.all(this.#running); }
}
