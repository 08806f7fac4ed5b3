// One Store per served resource, plus what stores need of each other: namespace lifecycle
// admission reads namespaces, pod admission reads priority classes.
import type { Logger } from 'pino';
import { RESOURCES } from '../api/resources.js';
import type { KubeObject } from '../api/meta.js';
import type { Storage } from '../storage/storage.js';
import { Store } from './store.js';
import type { SchemaRegistry } from './validation.js';
import type { StrategyContext, StrategyFor } from './strategy.js';

export class Stores {
  readonly #byPath = new Map<string, Store>();
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
      const store = new Store({
        info, storage: opts.storage, etcdPrefix: opts.etcdPrefix, schemas: opts.schemas,
        strategy: opts.strategyFor(info), logger: opts.logger, ctx,
        namespacePhase: (ns) => this.#namespacePhase(ns),
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

  async #namespacePhase(ns: string): Promise<'Active' | 'Terminating' | undefined> {
    const store = this.preferred('', 'namespaces')!;
    // The cache answers almost always; a namespace created a moment ago may not be in it yet.
    let obj: KubeObject | undefined = await store.cache.peek(store.key('', ns));
    if (!obj) { try { obj = await store.get('', ns); } catch { return undefined; } }
    const phase = (obj['status'] as { phase?: string } | undefined)?.phase;
    return phase === 'Terminating' || obj.metadata?.deletionTimestamp ? 'Terminating' : 'Active';
  }
}
