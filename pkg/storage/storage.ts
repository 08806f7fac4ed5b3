// The storage seam: everything the apiserver needs from etcd and nothing more. Objects are
// JSON; resourceVersion is the etcd mod_revision of the key (of the header for lists).

export interface Stored { metadata?: { resourceVersion?: string } | undefined }

export interface ListOptions {
  /** Read at this revision (a consistent snapshot for paginated lists); 0 = newest. */
  revision?: number;
  limit?: number;
  /** Continue after this key (exclusive). */
  startAfter?: string;
}

export interface ListResult<T> {
  items: T[];
  revision: number;
  /** Key of the last item when more items remain. */
  lastKey?: string;
  remaining?: number;
}

/** Objects as JSON bytes, resourceVersion included, joined by commas: ready to go into a list body. */
export interface JsonListResult {
  /** One chunk per etcd page read, none empty. */
  chunks: Buffer[];
  count: number;
  revision: number;
  /** Key of the last item when more items remain (only with a limit). */
  lastKey?: string;
  remaining?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StorageEvent<T> {
  type: WatchEventType;
  key: string;
  object: T;            // for DELETED: the last state, with resourceVersion = the delete's revision
  prevObject?: T;
  revision: number;
}

export interface Storage {
  get<T extends Stored>(key: string): Promise<T | undefined>;
  list<T extends Stored>(prefix: string, opts?: ListOptions): Promise<ListResult<T>>;
  /** The same as JSON bytes, not parsed: what a list without selectors sends. */
  listJson(prefix: string, opts?: ListOptions): Promise<JsonListResult>;
  count(prefix: string): Promise<number>;
  /** Throws KeyExistsError. */
  create<T extends Stored>(key: string, obj: T): Promise<T>;
  /** Compare-and-swap on mod_revision; throws RevisionConflictError or KeyNotFoundError. */
  update<T extends Stored>(key: string, obj: T, expectedRevision: number): Promise<T>;
  /** Deletes if the key is still at expectedRevision (when given); returns the deleted object. */
  delete<T extends Stored>(key: string, expectedRevision?: number): Promise<T>;
  /**
   * The JSON, resourceVersion included, of an object create or update just returned, as a GET
   * would answer it: a write's answer without serialising the object again. Only for an
   * object not changed since; undefined after the first call, or if the store cannot tell.
   */
  writtenJson(obj: object): string | undefined;
  /** Read-modify-write, retried on conflict. tryUpdate returns undefined for "no change". */
  guaranteedUpdate<T extends Stored>(key: string, tryUpdate: (current: T) => T | undefined | Promise<T | undefined>): Promise<T>;
  /** Events after fromRevision (exclusive); throws CompactedError when that history is gone. */
  watch<T extends Stored>(prefix: string, opts: { fromRevision: number; signal: AbortSignal }): AsyncIterable<StorageEvent<T>>;
  currentRevision(): Promise<number>;
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  override name = 'KeyExistsError'; constructor(readonly key: string) { super(`key exists: ${key}`); } }
export class KeyNotFoundError extends Error {
  override name = 'KeyNotFoundError'; constructor(readonly key: string) { super(`key not found: ${key}`); } }
export class RevisionConflictError extends Error {
  override name = 'RevisionConflictError'; constructor(readonly key: string) { super(`revision conflict: ${key}`); } }
export class CompactedError extends Error {
  override name = 'CompactedError';
  constructor(readonly requested: number, readonly compactRevision: number) {
    super(`required revision ${requested} has been compacted (compact revision ${compactRevision})`);
  }
}
/** The store could not be reached, or its answer was lost: the request may be retried later. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}
/** The store refused a write for its size (etcd: over its --max-request-bytes, 1.5 MiB by default). */
export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLargeError';
  /** message: the store's own words. */
  constructor(readonly key: string, readonly bytes: number, why: string) { super(why); }
}
