// A thread-safe-store equivalent (client-go tools/cache store.go, index.go, thread_safe_store.go):
// objects keyed by `namespace/name`, with named index functions mapping an object to the
// index values it is filed under. One thread, so no locks: every method is synchronous.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { objectKey } from '../api/meta.js';

/**
 * What caches hold: any object with ObjectMeta. (KubeObject's index signature would shut out
 * kubernetes-types interfaces such as Pod.)
 */
export interface MetaObject { apiVersion?: string; kind?: string; metadata?: ObjectMeta }

export type IndexFunc<T> = (obj: T) => string[];
export type Indexers<T> = Record<string, IndexFunc<T>>;

/** client-go's NamespaceIndex: every informer gets it, so listers can list one namespace cheaply. */
export const NAMESPACE_INDEX = 'namespace';
export function metaNamespaceIndexFunc(obj: MetaObject): string[] {
  return [obj.metadata?.namespace ?? ''];
}

export interface Store<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  get(obj: T): T | undefined;
  getByKey(key: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  /** Replaces the whole content with list; resourceVersion is the list's. */
  replace(list: T[], resourceVersion: string): void;
}

export class Indexer<T extends MetaObject> implements Store<T> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();
  #resourceVersion = '';

  constructor(indexers: Indexers<T> = {}, readonly keyFunc: (obj: T) => string = objectKey) {
    this.addIndexers({ [NAMESPACE_INDEX]: metaNamespaceIndexFunc, ...indexers });
  }

  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.#indexers.has(name)) throw new Error(`indexer conflict: ${name}`);
      this.#indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.#indices.set(name, index);
      for (const [key, obj] of this.#items) addToIndex(index, fn(obj), key);
    }
  }

  add(obj: T): void { this.#put(this.keyFunc(obj), obj); }
  update(obj: T): void { this.#put(this.keyFunc(obj), obj); }
  delete(obj: T): void { this.deleteByKey(this.keyFunc(obj)); }

  deleteByKey(key: string): void {
    const old = this.#items.get(key);
    if (old === undefined) return;
    this.#unindex(key, old);
    this.#items.delete(key);
  }

  get(obj: T): T | undefined { return this.#items.get(this.keyFunc(obj)); }
  getByKey(key: string): T | undefined { return this.#items.get(key); }
  list(): T[] { return [...this.#items.values()]; }
  listKeys(): string[] { return [...this.#items.keys()]; }
  get size(): number { return this.#items.size; }
  /** The resourceVersion of the last replace(). */
  get resourceVersion(): string { return this.#resourceVersion; }

  replace(list: T[], resourceVersion: string): void {
    this.#items.clear();
    for (const index of this.#indices.values()) index.clear();
    for (const obj of list) this.#put(this.keyFunc(obj), obj);
    this.#resourceVersion = resourceVersion;
  }

  /** Objects filed under indexedValue in the named index. */
  byIndex(indexName: string, indexedValue: string): T[] {
    return this.indexKeys(indexName, indexedValue).map((k) => this.#items.get(k)).filter((o): o is T => o !== undefined);
  }

  indexKeys(indexName: string, indexedValue: string): string[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new Error(`index with name ${indexName} does not exist`);
    return [...(index.get(indexedValue) ?? [])];
  }

  /** Objects sharing any index value with obj (client-go Index). */
  index(indexName: string, obj: T): T[] {
    const fn = this.#indexers.get(indexName);
    if (!fn) throw new Error(`index with name ${indexName} does not exist`);
    const keys = new Set<string>();
    for (const v of fn(obj)) for (const k of this.indexKeys(indexName, v)) keys.add(k);
    return [...keys].map((k) => this.#items.get(k)).filter((o): o is T => o !== undefined);
  }

  listIndexFuncValues(indexName: string): string[] {
    return [...(this.#indices.get(indexName)?.keys() ?? [])];
  }

  #put(key: string, obj: T): void {
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) addToIndex(this.#indices.get(name)!, fn(obj), key);
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    let set = index.get(v);
    if (!set) { set = new Set(); index.set(v, set); }
    set.add(key);
  }
}
