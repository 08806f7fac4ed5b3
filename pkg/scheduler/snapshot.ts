// The NodeInfos one scheduling cycle works on (upstream's internal/cache Snapshot). The cache
// keeps it up to date in place (SchedulerCache.updateSnapshot); a cycle only reads it.
import type { NodeInfo } from './framework/types.js';

export class Snapshot {
  /** The cache generation it reflects: NodeInfos stamped later are copied again. */
  generation = -1;
  /** The cache's node-set generation it reflects: a difference rebuilds the list. */
  nodesGeneration = -1;
  readonly byName = new Map<string, NodeInfo>();
  #list: NodeInfo[] = [];
  #index = new Map<string, number>();

  /** Every node, in the cache's order. Updated in place: valid for the cycle that read it. */
  get nodeInfoList(): readonly NodeInfo[] {
    return this.#list;
  }

  /** A new set of nodes. */
  replace(list: NodeInfo[]): void {
    this.#list = list;
    this.#index = new Map(list.map((n, i) => [n.name, i]));
  }

  /** A node copied again; it takes its place in the list when the set of nodes is the same. */
  set(name: string, info: NodeInfo): void {
    this.byName.set(name, info);
    const i = this.#index.get(name);
    if (i !== undefined) this.#list[i] = info;
  }
}
