// The one generic store behind every resource: system metadata, defaults, validation and
// admission around the etcd storage, as apiserver's generic registry Store does. A kind adds
// only a Strategy (registry/) and a line in pkg/api/resources.ts.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errors, field, type FieldError, type GroupResource } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { nowRfc3339 } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { groupVersion, RESOURCES } from '../api/resources.js';
import type { Selector } from '../api/labels.js';
import type { FieldSelector } from '../api/fields.js';
import { exactMatch } from '../api/fields.js';
import { fieldSet } from './field-sets.js';
import {
  CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError, type Storage,
} from '../storage/storage.js';
import type { SchemaRegistry } from './validation.js';
import { expectTypeMeta } from './request-body.js';
import type { Strategy, StrategyContext } from './strategy.js';
import { WatchCache, type ObjectAttrs, type WatchFilter } from './watch-cache.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, generateName, pathSegmentErrors } from './names.js';

export interface ListQuery {
  labelSelector?: Selector | undefined;
  fieldSelector?: FieldSelector | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: string | undefined;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** The items already serialised, joined by commas in chunks: what the list body holds. */
  json?: Buffer[];
}

/** A list of serialised objects; `items` parses them only for callers that need objects. */
function listError(e: unknown, isContinue: boolean): unknown {
  if (!(e instanceof CompactedError)) return e;
  return isContinue
    ? errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.')
    : errors.expired(`The resourceVersion for the provided list is too old.`);
}

function jsonList(json: Buffer[], resourceVersion: string): ListResult {
  let items: KubeObject[] | undefined;
  return { json, resourceVersion, get items() { return (items ??= JSON.parse(`[${json.join(',')}]`) as KubeObject[]); } };
}

/**
 * Serialised objects joined by commas into one buffer, without first building a string as
 * large as the list (which would stay in V8's large-object space until a full GC).
 */
function joinJson(items: string[]): Buffer[] {
  if (!items.length) return [];
  let size = items.length - 1;
  for (const s of items) size += Buffer.byteLength(s);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const s of items) {
    if (at) at += out.write(',', at);
    at += out.write(s, at);
  }
  return [out];
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** Server-internal writes (pods/binding, namespaces/finalize) that the update strategy would refuse. */
  bypassStrategy?: boolean;
}
type UpdateOptions = WriteOptions & { subresource?: 'status' | undefined };
export interface WriteResult {
  object: KubeObject; warnings: string[];
  /** The object as JSON, when the storage still had the bytes it wrote (see Storage.writtenJson). */
  json?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult { object: KubeObject; deleted: boolean }

export interface StoreOptions {
  info: ResourceInfo;
  storage: Storage;
  etcdPrefix: string;
  schemas: SchemaRegistry;
  strategy: Strategy;
  logger: Logger;
  ctx: StrategyContext;
  /** Namespace lifecycle admission: is this namespace there and not terminating? */
  namespacePhase?: (namespace: string) => Promise<'Active' | 'Terminating' | undefined>;
  /** Called after a delete was stored (the object removed or marked for deletion). */
  afterDelete?: (obj: KubeObject) => void;
}

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export class Store {
  readonly info: ResourceInfo;
  readonly gr: GroupResource;
  readonly cache: WatchCache;
  readonly strategy: Strategy;
  readonly #storage: Storage;
  readonly #prefix: string;
  readonly #schemas: SchemaRegistry;
  readonly #ctx: StrategyContext;
  readonly #namespacePhase: StoreOptions['namespacePhase'];
  readonly #hasStatus: boolean;
  readonly #singleVersion: boolean;
  readonly #afterDelete: StoreOptions['afterDelete'];

  constructor(opts: StoreOptions) {
    this.info = opts.info;
    this.gr = { group: opts.info.group, resource: opts.info.plural };
    this.strategy = opts.strategy;
    this.#storage = opts.storage;
    // Kubernetes keeps all versions of a resource under one key; so do we.
    this.#prefix = `${opts.etcdPrefix}/${opts.info.group ? `${opts.info.group}/` : ''}${opts.info.plural}/`;
    this.#schemas = opts.schemas;
    this.#ctx = opts.ctx;
    this.#namespacePhase = opts.namespacePhase;
    this.#afterDelete = opts.afterDelete;
    this.#hasStatus = opts.info.subresources.some((s) => s.name === 'status');
    // Objects of a resource served at several versions need their apiVersion rewritten on the way out.
    this.#singleVersion = RESOURCES.filter((r) => r.group === opts.info.group && r.plural === opts.info.plural).length === 1;
    this.cache = new WatchCache({
      storage: opts.storage, prefix: this.#prefix, logger: opts.logger,
      attrsOf: (obj) => this.attrsOf(obj), served: (obj) => this.#out(obj),
    });
  }

  get apiVersion(): string { return groupVersion(this.info); }

  key(namespace: string, name: string): string {
    return this.info.namespaced ? `${this.#prefix}${namespace}/${name}` : `${this.#prefix}${name}`;
  }

  keyPrefix(namespace?: string): string {
    return this.info.namespaced && namespace ? `${this.#prefix}${namespace}/` : this.#prefix;
  }

  /** Objects carry the apiVersion of the version they are served at. */
  #out(obj: KubeObject): KubeObject {
    if (obj.apiVersion !== this.apiVersion || obj.kind !== this.info.kind) {
      return { apiVersion: this.apiVersion, kind: this.info.kind, ...withoutTypeMeta(obj) };
    }
    return obj;
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const obj = await this.#storage.get<KubeObject>(this.key(namespace, name));
    if (!obj) throw errors.notFound(this.gr, name);
    return this.#out(obj);
  }

  // ---- list ----

  /** What selectors look at: labels and this kind's field-selector values. */
  attrsOf(obj: KubeObject): ObjectAttrs {
    return { labels: obj.metadata?.labels, fields: fieldSet(this.info.group, this.info.plural, obj) };
  }

  filterFor(namespace: string | undefined, q: ListQuery): WatchFilter & { everything: boolean } {
    const { labelSelector, fieldSelector } = q;
    const needFields = fieldSelector && !fieldSelector.isEmpty();
    const needLabels = labelSelector && !labelSelector.isEmpty();
    return {
      keyPrefix: this.keyPrefix(namespace),
      everything: !needFields && !needLabels,
      matches: (a) => (!needLabels || labelSelector.matches(a.labels)) && (!needFields || fieldSelector.matches(a.fields)),
    };
  }

  async list(namespace: string | undefined, q: ListQuery): Promise<ListResult> {
    const filter = this.filterFor(namespace, q);
    const rv = q.resourceVersion ?? '';
    const match = q.resourceVersionMatch ?? '';
    if (match && !['Exact', 'NotOlderThan'].includes(match)) {
      throw errors.invalid('meta.k8s.io', 'ListOptions', '', [field.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan'])]);
    }
    if (match && !rv) {
      throw errors.invalid('meta.k8s.io', 'ListOptions', '', [field.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided')]);
    }
    if (q.continue && rv) {
      throw errors.invalid('meta.k8s.io', 'ListOptions', '', [field.forbidden('resourceVersion', 'specifying resource version is not allowed when using continue')]);
    }
    if (rv && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);

    // A single named object: no need to walk the whole prefix.
    const name = q.fieldSelector ? exactMatch(q.fieldSelector, 'metadata.name') : undefined;
    const fromCache = !q.continue && (rv === '0' || (rv !== '' && match !== 'Exact' && !(match === '' && q.limit)));
    if (fromCache) {
      const { items, revision } = await this.cache.list(filter, Number(rv));
      return jsonList(joinJson(items), String(revision));
    }
    if (name !== undefined && (!this.info.namespaced || namespace) && !q.continue) {
      const revision = rv ? Number(rv) : 0;
      const page = await this.#listEtcd(this.key(namespace ?? '', name), filter, { revision, limit: 0 });
      return { ...page, items: page.items.filter((o) => o.metadata?.name === name) };
    }
    let revision = rv ? Number(rv) : 0;
    let startAfter: string | undefined;
    if (q.continue) {
      const token = decodeContinue(q.continue, filter.keyPrefix);
      revision = token.rv;
      startAfter = token.start;
    }
    return this.#listEtcd(filter.keyPrefix, filter, { revision, limit: q.limit ?? 0, ...(startAfter ? { startAfter } : {}) });
  }

  async #listEtcd(prefix: string, filter: WatchFilter & { everything: boolean }, opts: { revision: number; limit: number; startAfter?: string }): Promise<ListResult> {
    if (filter.everything && this.#singleVersion) return this.#listEtcdJson(prefix, opts);
    const items: KubeObject[] = [];
    let revision = opts.revision;
    let startAfter = opts.startAfter;
    for (;;) {
      const want = opts.limit ? Math.max(opts.limit - items.length, 0) : 0;
      let page;
      try {
        page = await this.#storage.list<KubeObject>(prefix, { revision, limit: want, ...(startAfter ? { startAfter } : {}) });
      } catch (e) {
        throw listError(e, opts.startAfter !== undefined);
      }
      // etcd's header carries its newest revision even for a read at an older one; the
      // list's resourceVersion is the snapshot's.
      revision ||= page.revision;
      for (const obj of page.items) if (filter.everything || filter.matches(this.attrsOf(obj))) items.push(this.#out(obj));
      if (!page.lastKey) return { items, resourceVersion: String(revision) };
      startAfter = page.lastKey;
      if (opts.limit && items.length >= opts.limit) {
        const out: ListResult = { items, resourceVersion: String(revision), continue: encodeContinue(revision, startAfter, prefix) };
        if (page.remaining !== undefined && items.length === page.items.length) out.remainingItemCount = page.remaining;
        return out;
      }
    }
  }

  /**
   * Without selectors nothing needs parsing: the stored JSON goes out as it is, with its
   * resourceVersion spliced in (a 10,000-pod list is mostly this).
   */
  async #listEtcdJson(prefix: string, opts: { revision: number; limit: number; startAfter?: string }): Promise<ListResult> {
    let page;
    try {
      page = await this.#storage.listJson(prefix, { revision: opts.revision, limit: opts.limit, ...(opts.startAfter ? { startAfter: opts.startAfter } : {}) });
    } catch (e) {
      throw listError(e, opts.startAfter !== undefined);
    }
    const revision = opts.revision || page.revision;
    const out = jsonList(page.chunks, String(revision));
    if (page.lastKey && opts.limit) {
      out.continue = encodeContinue(revision, page.lastKey, prefix);
      if (page.remaining !== undefined) out.remainingItemCount = page.remaining;
    }
    return out;
  }

  // ---- create ----

  async create(namespace: string, body: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    const obj = this.#decode(body, namespace);
    const warnings = this.#checkFields(obj, opts);
    const meta = obj.metadata!;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    delete meta.generation;
    this.strategy.defaults?.(obj);
    if (this.strategy.prepareForCreate) this.strategy.prepareForCreate(obj);
    else if (this.#hasStatus) delete obj['status'];
    if (this.strategy.admit) await this.strategy.admit(obj, this.#ctx);
    this.#validate(obj, () => [...this.#validateMeta(obj), ...(this.strategy.validate?.(obj) ?? [])]);
    if (this.info.namespaced) await this.#admitNamespace(meta.namespace!, meta.name ?? '');
    if (opts.dryRun) return { object: this.#out({ ...obj }), warnings };
    try {
      const stored = await this.#storage.create(this.key(meta.namespace ?? '', meta.name!), obj);
      const object = this.#out(stored);
      const json = object === stored ? this.#storage.writtenJson(stored) : undefined;
      return json ? { object, warnings, json } : { object, warnings };
    } catch (e) {
      if (e instanceof KeyExistsError) throw errors.alreadyExists(this.gr, meta.name!);
      throw e;
    }
  }

  /** Fills and checks apiVersion, kind and namespace against the request. */
  #decode(body: KubeObject, namespace: string): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('the body of the request must be an object');
    // Bodies are freshly decoded for this request (or produced by a patch), so they are ours to change.
    const obj = body;
    expectTypeMeta(obj, this.apiVersion, this.info.kind);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))) {
      throw errors.badRequest('metadata must be an object');
    }
    obj.metadata ??= {};
    if (this.info.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace || obj.metadata.namespace || '';
      if (!obj.metadata.namespace) throw errors.badRequest('the server could not find the requested resource');
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  /**
   * Request bodies #checkFields has passed. What happens to them before #validate (defaults,
   * admission, fields kept from the stored object) is the server's own well-typed doing, so
   * #validate does not run the schema again.
   */
  readonly #schemaChecked = new WeakSet<KubeObject>();

  /**
   * A request body's fields, as Kubernetes' decoder reads them before defaults and validation
   * run (both assume well-typed objects): nulls as Go reads them; unknown fields under Strict →
   * 400, otherwise dropped (with a warning under Warn); a field of a JSON type its Go type
   * cannot take → 400 with Go's decoding error; other schema errors (formats) → 422.
   */
  #checkFields(obj: KubeObject, opts: WriteOptions): string[] {
    const { group, version, kind } = { group: this.info.group, version: this.info.version, kind: this.info.kind };
    if (this.#schemas.conforms(group, version, kind, obj)) {
      this.#schemaChecked.add(obj);
      return [];
    }
    this.#schemas.normalizeNulls(group, version, kind, obj);
    const unknown = this.#schemas.unknownFields(group, version, kind, obj);
    if (unknown.length && opts.fieldValidation === 'Strict') {
      const msgs = unknown.map((f) => `unknown field "${f}"`);
      throw errors.badRequest(`strict decoding error: ${msgs.join(', ')}`);
    }
    if (unknown.length) this.#schemas.prune(group, version, kind, obj);
    const decodeError = this.#schemas.decodeError(group, version, kind, obj);
    if (decodeError) throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${decodeError}`);
    // What is left are formats (422 now) and missing required fields, which are not decoding
    // errors: #validate reports them, after defaults and the fields kept from the stored object
    // (a status update's spec) are in.
    const schemaErrs = this.#schemas.validate(group, version, kind, obj);
    const formatErrs = schemaErrs.filter((e) => e.type !== 'FieldValueRequired');
    if (formatErrs.length) throw errors.invalid(group, kind, obj.metadata?.name ?? '', formatErrs);
    if (!schemaErrs.length) this.#schemaChecked.add(obj);
    return opts.fieldValidation === 'Ignore' ? [] : unknown.map((f) => `unknown field "${f}"`);
  }

  #validateMeta(obj: KubeObject): FieldError[] {
    const errs: FieldError[] = [];
    const meta = obj.metadata!;
    if (!meta.name) {
      errs.push(field.required('metadata.name', 'name or generateName is required'));
      return errs;
    }
    const nameErrs = pathSegmentErrors(meta.name);
    if (!nameErrs.length) {
      const strict = ['namespaces', 'services'].includes(this.info.plural) && !this.info.group;
      nameErrs.push(...(strict ? dns1123LabelErrors(meta.name) : this.info.plural === 'nodes' || this.info.group.startsWith('rbac.') ? [] : dns1123SubdomainErrors(meta.name)));
    }
    for (const m of nameErrs) errs.push(field.invalid('metadata.name', meta.name, m));
    return errs;
  }

  /**
   * Schema first: in Kubernetes a wrongly typed field fails decoding before any validation
   * runs, so the strategy's checks only ever see well-typed objects.
   */
  #validate(obj: KubeObject, semantic: () => FieldError[]): void {
    const schemaErrs = this.#schemaChecked.has(obj) ? [] : this.#schemas.validate(this.info.group, this.info.version, this.info.kind, obj);
    const errs = schemaErrs.length ? schemaErrs : semantic();
    if (errs.length) throw errors.invalid(this.info.group, this.info.kind, obj.metadata?.name ?? '', errs);
  }

  async #admitNamespace(namespace: string, name: string): Promise<void> {
    if (!this.#namespacePhase) return;
    const phase = await this.#namespacePhase(namespace);
    if (phase === undefined) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
    if (phase === 'Terminating') {
      throw errors.forbidden(this.gr, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  // ---- update ----

  /**
   * PUT: replace the object (or its status) with body. A resourceVersion in the body makes it
   * a compare-and-swap; without one the update is unconditional, as Kubernetes allows.
   */
  async update(namespace: string, name: string, body: KubeObject, opts: UpdateOptions = {}): Promise<WriteResult> {
    const obj = this.#decode(body, namespace);
    if (obj.metadata?.name && obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata!.name = name;
    const warnings = this.#checkFields(obj, opts);
    const expected = obj.metadata?.resourceVersion;
    const object = await this.#guaranteedUpdate(namespace, name, expected, () => obj, opts);
    return { object, warnings };
  }

  /**
   * Read-modify-write for PATCH and internal mutations: `mutate` gets the current object and
   * returns the new one. Retried on conflict unless the result pins a resourceVersion.
   */
  async patch(namespace: string, name: string, mutate: (current: KubeObject) => KubeObject, opts: UpdateOptions = {}): Promise<WriteResult> {
    const warnings: string[] = [];
    const object = await this.#guaranteedUpdate(namespace, name, undefined, (cur) => {
      const next = this.#decode(mutate(cur), namespace);
      if (next.metadata?.name !== name) throw errors.badRequest('the name of the object cannot be changed by a patch');
      warnings.push(...this.#checkFields(next, opts));
      return next;
    }, opts);
    return { object, warnings };
  }

  async #guaranteedUpdate(namespace: string, name: string, expectedRv: string | undefined,
    produce: (current: KubeObject) => KubeObject, opts: UpdateOptions): Promise<KubeObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#storage.get<KubeObject>(key);
      if (!current) throw errors.notFound(this.gr, name);
      const obj = produce(structuredClone(current));
      const pinned = obj.metadata?.resourceVersion || expectedRv;
      if (pinned && pinned !== current.metadata?.resourceVersion) {
        if (!/^\d+$/.test(pinned)) throw errors.badRequest(`invalid resource version: ${pinned}`);
        throw errors.conflict(this.gr, name);
      }
      this.#prepareUpdate(obj, current, opts.subresource, opts.bypassStrategy === true);
      if (sameContent(obj, current)) return this.#out(current);
      if (opts.dryRun) return this.#out(obj);
      try {
        const rv = Number(current.metadata!.resourceVersion);
        if (isFinalized(obj) && obj.metadata?.deletionTimestamp) {
          // The last finalizer went away: the object is gone now, as in Kubernetes.
          const deleted = await this.#storage.delete<KubeObject>(key, rv);
          const out = { ...deleted, ...withoutTypeMeta(obj) };
          out.metadata = { ...obj.metadata, resourceVersion: deleted.metadata?.resourceVersion ?? '' };
          return this.#out(out);
        }
        return this.#out(await this.#storage.update(key, obj, rv));
      } catch (e) {
        if (e instanceof RevisionConflictError) {
          // A PUT with a resourceVersion is a compare-and-swap. Anything else (a patch, an
          // unconditional PUT) is redone on the new object; a patch that pinned the old
          // resourceVersion then fails the check above.
          if (expectedRv) throw errors.conflict(this.gr, name);
          continue;
        }
        if (e instanceof KeyNotFoundError) throw errors.notFound(this.gr, name);
        throw e;
      }
    }
  }

  #prepareUpdate(obj: KubeObject, old: KubeObject, subresource: 'status' | undefined, bypassStrategy: boolean): void {
    const meta = obj.metadata!;
    const oldMeta = old.metadata!;
    // System fields are the server's, whatever the client sent.
    meta.uid = oldMeta.uid!;
    meta.creationTimestamp = oldMeta.creationTimestamp!;
    meta.namespace = oldMeta.namespace!;
    if (oldMeta.namespace === undefined) delete meta.namespace;
    setOrDelete(meta, 'deletionTimestamp', oldMeta.deletionTimestamp);
    setOrDelete(meta, 'deletionGracePeriodSeconds', oldMeta.deletionGracePeriodSeconds);
    setOrDelete(meta, 'generation', oldMeta.generation);
    meta.resourceVersion = oldMeta.resourceVersion!;
    if (subresource === 'status') {
      if (this.strategy.prepareForStatusUpdate) this.strategy.prepareForStatusUpdate(obj, old);
      else {
        for (const k of Object.keys(obj)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete obj[k];
        for (const [k, v] of Object.entries(old)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) obj[k] = structuredClone(v);
        obj.metadata = { ...structuredClone(oldMeta) };
      }
      this.#validate(obj, () => this.strategy.validateStatusUpdate?.(obj, old) ?? []);
      return;
    }
    if (bypassStrategy) { this.#validate(obj, () => []); return; }
    this.strategy.defaults?.(obj);
    if (this.strategy.prepareForUpdate) this.strategy.prepareForUpdate(obj, old);
    else if (this.#hasStatus) setOrDelete(obj, 'status', old['status']);
    if (oldMeta.deletionTimestamp) {
      // A terminating object may only lose finalizers, never gain new ones.
      const added = (meta.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
      if (added.length) {
        throw errors.invalid(this.info.group, this.info.kind, meta.name ?? '', [field.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`)]);
      }
    }
    this.#validate(obj, () => [...this.#validateMeta(obj), ...(this.strategy.validateUpdate?.(obj, old) ?? [])]);
  }

  // ---- delete ----

  async delete(namespace: string, name: string, opts: DeleteOptions = {}, dryRun = false): Promise<DeleteResult> {
    const key = this.key(namespace, name);
    if (this.info.plural === 'namespaces' && !this.info.group && SYSTEM_NAMESPACES.has(name)) {
      throw errors.forbidden(this.gr, name, 'this namespace may not be deleted');
    }
    for (;;) {
      const current = await this.#storage.get<KubeObject>(key);
      if (!current) throw errors.notFound(this.gr, name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata?.uid) {
        throw errors.conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata?.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata?.resourceVersion) {
        throw errors.conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata?.resourceVersion ?? ''}`);
      }
      const rv = Number(current.metadata!.resourceVersion);
      const next = this.#planDelete(current, opts);
      if (dryRun) return { object: this.#out(next ?? current), deleted: next === undefined };
      try {
        if (next === undefined) {
          const deleted = await this.#storage.delete<KubeObject>(key, rv);
          this.#afterDelete?.(deleted);
          return { object: this.#out(deleted), deleted: true };
        }
        if (sameContent(next, current)) return { object: this.#out(current), deleted: false };
        const marked = await this.#storage.update(key, next, rv);
        this.#afterDelete?.(marked);
        return { object: this.#out(marked), deleted: false };
      } catch (e) {
        if (e instanceof RevisionConflictError) continue;
        if (e instanceof KeyNotFoundError) throw errors.notFound(this.gr, name);
        throw e;
      }
    }
  }

  /**
   * What a delete does to the object: undefined = remove it now; otherwise the object to
   * store (deletionTimestamp set, finalizers for the propagation policy), which stays until
   * its finalizers are gone and, for pods, until the kubelet confirms with grace period 0.
   */
  #planDelete(current: KubeObject, opts: DeleteOptions): KubeObject | undefined {
    const obj = structuredClone(current);
    const meta = obj.metadata!;
    const finalizers = new Set(meta.finalizers ?? []);
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    if (policy === 'Orphan') { finalizers.add('orphan'); finalizers.delete('foregroundDeletion'); }
    if (policy === 'Foreground') { finalizers.add('foregroundDeletion'); finalizers.delete('orphan'); }
    if (policy === 'Background') { finalizers.delete('orphan'); finalizers.delete('foregroundDeletion'); }
    // Only a delete that starts the deletion may add propagation finalizers.
    if (meta.deletionTimestamp && policy) {
      for (const f of ['orphan', 'foregroundDeletion']) if (!(meta.finalizers ?? []).includes(f)) finalizers.delete(f);
    }
    if (finalizers.size) meta.finalizers = [...finalizers]; else delete meta.finalizers;

    if (this.info.plural === 'namespaces' && !this.info.group) {
      const spec = (obj['spec'] ?? {}) as { finalizers?: string[] };
      if ((spec.finalizers?.length ?? 0) > 0 || finalizers.size > 0) {
        meta.deletionTimestamp ??= nowRfc3339();
        meta.deletionGracePeriodSeconds ??= 0;
        obj['status'] = { ...(obj['status'] as object ?? {}), phase: 'Terminating' };
        return obj;
      }
      return undefined;
    }

    const grace = this.#gracePeriod(current, opts);
    if (grace > 0) {
      const deadline = new Date(Date.now() + grace * 1000);
      const existing = meta.deletionTimestamp ? Date.parse(meta.deletionTimestamp) : Infinity;
      // A second delete may shorten the grace period, never lengthen it.
      if (deadline.getTime() < existing) {
        meta.deletionTimestamp = nowRfc3339(deadline);
        meta.deletionGracePeriodSeconds = grace;
      }
      return obj;
    }
    if (finalizers.size) {
      meta.deletionTimestamp ??= nowRfc3339();
      meta.deletionGracePeriodSeconds = 0;
      return obj;
    }
    return undefined;
  }

  #gracePeriod(obj: KubeObject, opts: DeleteOptions): number {
    if (!this.strategy.defaultGracePeriodSeconds) return 0;
    if (this.strategy.deleteImmediately?.(obj)) return 0;
    const grace = opts.gracePeriodSeconds ?? obj.metadata?.deletionGracePeriodSeconds ?? this.strategy.defaultGracePeriodSeconds(obj);
    // Kubernetes turns a request for 0 without force into 1 second for running pods; kubectl
    // sends --force with 0, and the kubelet's final delete is 0.
    return Math.max(0, grace);
  }

  async deleteCollection(namespace: string | undefined, q: ListQuery, opts: DeleteOptions, dryRun = false): Promise<KubeObject[]> {
    const { items } = await this.list(namespace, { ...q, resourceVersion: undefined, limit: undefined, continue: undefined });
    const out: KubeObject[] = [];
    for (const obj of items) {
      try {
        out.push((await this.delete(obj.metadata?.namespace ?? '', obj.metadata!.name!, opts, dryRun)).object);
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
      }
    }
    return out;
  }
}

// ---- helpers ----

function withoutTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

function setOrDelete<T extends object>(target: T, key: keyof T & string, value: unknown): void {
  const t = target as Record<string, unknown>;
  if (value === undefined) delete t[key]; else t[key] = structuredClone(value);
}

function isFinalized(obj: KubeObject): boolean {
  if ((obj.metadata?.finalizers?.length ?? 0) > 0) return false;
  if (obj.metadata?.deletionGracePeriodSeconds && obj.metadata.deletionGracePeriodSeconds > 0) return false;
  const spec = obj['spec'] as { finalizers?: string[] } | undefined;
  return obj.kind !== 'Namespace' || !(spec?.finalizers?.length);
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

function encodeContinue(rv: number, start: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: start.slice(prefix.length) })).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || t.start.includes('..')) throw new Error('bad');
    return { rv: t.rv, start: prefix + t.start };
  } catch {
    throw errors.badRequest(`continue key is not valid: ${token}`);
  }
}
