// One Store per served resource, plus what stores need of each other: namespace lifecycle
// admission reads namespaces, pod admission reads priority classes.
import type { Logger } from 'pino';
import { RESOURCES } from '../api/resources.js';
import type { KubeObject } from '../api/meta.js';
import { isNotFound } from '../api/errors.js';
import type { Storage } from '../storage/storage.js';
import { Store } from './store.js';
import type { SchemaRegistry } from './validation.js';
import type { StrategyContext, StrategyFor } from './strategy.js';
import type { CachedObject } from './watch-cache.js';

/** How long after this server deleted a namespace its admission reads it from etcd. */
const FORCE_LIVE_LOOKUP_MS = 30_000;

export class Stores {
  readonly #byPath = new Map<string, Store>();
  readonly #recentlyDeleted = new Map<string, number>();
  readonly schemas: SchemaRegistry;

  constructor(opts: { storage: Storage; etcdPrefix: string; schemas: SchemaRegistry; logger: Logger; strategyFor: StrategyFor }) {
    this.schemas = opts.schemas;
    const ctx: StrategyContext = {
      get: async (group, plural, namespace, name) => {
        const store = this.preferred(group, plural);
        if (!store) return undefined;
        try { return await store.get(namespace, name); } catch { return undefined; }
      },
    };
    for (const info of RESOURCES) {
      const isNamespaces = info.group === '' && info.plural === 'namespaces';
      const store = new Store({
        info, storage: opts.storage, etcdPrefix: opts.etcdPrefix, schemas: opts.schemas,
        strategy: opts.strategyFor(info), logger: opts.logger, ctx,
        namespacePhase: (ns) => this.#namespacePhase(ns),
        ...(isNamespaces ? { afterDelete: (obj: KubeObject) => this.#recentlyDeleted.set(obj.metadata?.name ?? '', Date.now() + FORCE_LIVE_LOOKUP_MS) } : {}),
      });
      this.#byPath.set(`${info.group}/${info.version}/${info.plural}`, store);
    }
  }

  get(group: string, version: string, plural: string): Store | undefined {
    return this.#byPath.get(`${group}/${version}/${plural}`);
  }

  /** The store of a resource's preferred (first listed) version. */
  preferred(group: string, plural: string): Store | undefined {
    const info = RESOURCES.find((r) => r.group === group && r.plural === plural);
    return info ? this.get(info.group, info.version, info.plural) : undefined;
  }

  all(): Store[] { return [...this.#byPath.values()]; }

  readonly #phaseOf = new WeakMap<CachedObject, 'Active' | 'Terminating'>();

  async #namespacePhase(ns: string): Promise<'Active' | 'Terminating' | undefined> {
    const store = this.preferred('', 'namespaces')!;
    // The cache answers almost always; a namespace created a moment ago may not be in it yet,
    // and one this server deleted a moment ago may still look Active there (upstream's
    // NamespaceLifecycle forces a live lookup for those too).
    const expiry = this.#recentlyDeleted.get(ns);
    const live = expiry !== undefined && expiry > Date.now();
    if (expiry !== undefined && !live) this.#recentlyDeleted.delete(ns);
    const entry = live ? undefined : await store.cache.peek(store.key('', ns));
    if (entry) {
      // Every create in a namespace asks: parse each version of the namespace once, not each time.
      let phase = this.#phaseOf.get(entry);
      if (!phase) this.#phaseOf.set(entry, (phase = phaseOf(JSON.parse(entry.json) as KubeObject)));
      return phase;
    }
    try {
      return phaseOf(await store.get('', ns));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;  // etcd unreachable is a 503, not a missing namespace
    }
  }
}

function phaseOf(ns: KubeObject): 'Active' | 'Terminating' {
  const phase = (ns['status'] as { phase?: string } | undefined)?.phase;
  return phase === 'Terminating' || ns.metadata?.deletionTimestamp ? 'Terminating' : 'Active';
}
