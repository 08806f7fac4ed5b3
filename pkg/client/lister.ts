// Read-only views of an informer's cache (client-go listers). Objects are shared with the cache
// and every other reader: DeepReadonly makes mutating one a compile error; structuredClone first.
import type { Selector } from '../api/labels.js';
import { NAMESPACE_INDEX, type Indexer, type MetaObject } from './indexer.js';

export type DeepReadonly<T> =
  T extends (...args: never[]) => unknown ? T
    : T extends readonly (infer E)[] ? readonly DeepReadonly<E>[]
      : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
        : T;

export type LabelMatcher = Pick<Selector, 'matches'>;

export interface Lister<T> {
  /** Cluster-scoped objects: pass '' as the namespace. */
  get(namespace: string, name: string): DeepReadonly<T> | undefined;
  list(selector?: LabelMatcher): DeepReadonly<T>[];
  listNamespaced(namespace: string, selector?: LabelMatcher): DeepReadonly<T>[];
  byIndex(indexName: string, indexedValue: string): DeepReadonly<T>[];
}

export class IndexerLister<T extends MetaObject> implements Lister<T> {
  constructor(readonly indexer: Indexer<T>) {}

  get(namespace: string, name: string): DeepReadonly<T> | undefined {
    return this.indexer.getByKey(namespace ? `${namespace}/${name}` : name) as DeepReadonly<T> | undefined;
  }

  list(selector?: LabelMatcher): DeepReadonly<T>[] {
    return filter(this.indexer.list(), selector);
  }

  listNamespaced(namespace: string, selector?: LabelMatcher): DeepReadonly<T>[] {
    return filter(this.indexer.byIndex(NAMESPACE_INDEX, namespace), selector);
  }

  byIndex(indexName: string, indexedValue: string): DeepReadonly<T>[] {
    return this.indexer.byIndex(indexName, indexedValue) as DeepReadonly<T>[];
  }
}

function filter<T extends MetaObject>(objs: T[], selector: LabelMatcher | undefined): DeepReadonly<T>[] {
  const out = selector ? objs.filter((o) => selector.matches(o.metadata?.labels)) : objs;
  return out as DeepReadonly<T>[];
}
