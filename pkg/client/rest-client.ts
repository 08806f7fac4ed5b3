// The REST client every component and test uses: keep-alive undici Pool, the generic verbs of
// the Kubernetes REST wire addressed by ResourceInfo, and a typed view per resource.
// Any non-2xx answer is thrown as a StatusError carrying the server's Status.
import { Pool } from 'undici';
import type { ListMeta, Status } from 'kubernetes-types/meta/v1.js';
import { StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { RESOURCES, groupVersion, groupVersionPath, type ResourceInfo } from '../api/resources.js';
import { decodeWatchEvents, isStatus, reasonForCode, statusErrorFrom, type WatchEvent } from './watch.js';
import type { ResourceName, ResourceTypes } from './resource-types.js';

export interface RestClientConfig {
  server: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  userAgent?: string;
  /** PEM, from a kubeconfig's certificate-authority(-data). */
  caData?: string;
  /** PEM client certificate and key, from a kubeconfig's client-certificate/key(-data). */
  certData?: string;
  keyData?: string;
  /** The kubeconfig context's namespace, when one was set. */
  namespace?: string;
}

export interface ObjectList<T> { apiVersion?: string; kind?: string; metadata: ListMeta; items: T[] }

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions { dryRun?: boolean; fieldManager?: string; signal?: AbortSignal }
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
export interface PatchOptions extends WriteOptions { subresource?: string; force?: boolean }

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal | undefined;
}

export class RestClient {
  readonly config: RestClientConfig;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;

  constructor(config: RestClientConfig) {
    this.config = config;
    const url = new URL(config.server);
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, {
      connect: {
        rejectUnauthorized: !config.insecureSkipTlsVerify,
        ...(config.caData ? { ca: config.caData } : {}),
        ...(config.certData ? { cert: config.certData } : {}),
        ...(config.keyData ? { key: config.keyData } : {}),
      },
      keepAliveTimeout: 30_000,
    });
    this.#headers = {
      accept: 'application/json',
      'user-agent': config.userAgent ?? 'tskube/v0.1.0',
      ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
    };
  }

  /** The typed verbs of one resource: `client.resource('pods').get('default', 'web')`. */
  resource<N extends ResourceName>(plural: N): ResourceClient<ResourceTypes[N]>;
  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T>;
  resource(what: ResourceName | ResourceInfo): ResourceClient<KubeObject> {
    const info = typeof what === 'string' ? RESOURCES.find((r) => r.plural === what) : what;
    if (!info) throw new Error(`unknown resource ${String(what)}`);
    return new ResourceClient(this, info);
  }

  /** `/api/v1/namespaces/ns/pods/name/status`; namespace '' means cluster-scoped or all namespaces. */
  path(res: ResourceInfo, namespace: string, name?: string, subresource?: string): string {
    let p = groupVersionPath(res);
    if (res.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${res.plural}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  get<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return this.#json<T>('GET', this.path(res, namespace, name), { signal: opts.signal });
  }

  async list<T = KubeObject>(res: ResourceInfo, namespace: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { signal, ...query } = opts;
    return this.#json<ObjectList<T>>('GET', this.path(res, namespace), { query: { ...query }, signal });
  }

  create<T = KubeObject>(res: ResourceInfo, namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#json<T>('POST', this.path(res, namespace), { body: withTypeMeta(res, obj), query: writeQuery(opts), signal: opts.signal });
  }

  update<T extends KubeObject>(res: ResourceInfo, namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#json<T>('PUT', this.path(res, namespace, nameOf(obj)), { body: withTypeMeta(res, obj), query: writeQuery(opts), signal: opts.signal });
  }

  updateStatus<T extends KubeObject>(res: ResourceInfo, namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#json<T>('PUT', this.path(res, namespace, nameOf(obj), 'status'), { body: withTypeMeta(res, obj), query: writeQuery(opts), signal: opts.signal });
  }

  patch<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, patchType: PatchType, body: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.#json<T>('PATCH', this.path(res, namespace, name, opts.subresource), {
      body, contentType: PATCH_CONTENT_TYPES[patchType], signal: opts.signal,
      query: { ...writeQuery(opts), force: opts.force },
    });
  }

  /** The deleted object while it still exists (finalizers, graceful pods), else the Success Status. */
  delete<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.#json<T | Status>('DELETE', this.path(res, namespace, name), { body: deleteOptionsBody(opts), signal: opts.signal });
  }

  deleteCollection(res: ResourceInfo, namespace: string, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<unknown> {
    return this.#json('DELETE', this.path(res, namespace), {
      body: deleteOptionsBody(opts), signal: opts.signal,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
  }

  getSubresource<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, subresource: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return this.#json<T>('GET', this.path(res, namespace, name, subresource), { signal: opts.signal });
  }

  createSubresource<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<T> {
    return this.#json<T>('POST', this.path(res, namespace, name, subresource), { body, query: writeQuery(opts), signal: opts.signal });
  }

  updateSubresource<T = KubeObject>(res: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<T> {
    return this.#json<T>('PUT', this.path(res, namespace, name, subresource), { body, query: writeQuery(opts), signal: opts.signal });
  }

  /**
   * Events from `?watch=true`. The request starts when iteration starts; iteration ends when
   * the server ends the stream or opts.signal aborts. A 410 (HTTP or ERROR event) is thrown.
   */
  watch<T = KubeObject>(res: ResourceInfo, namespace: string, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const { signal, ...query } = opts;
    return this.#watch<T>(this.path(res, namespace), { ...query, watch: true }, signal);
  }

  /** Any request; the parsed JSON answer (or text when the answer isn't JSON). */
  raw(method: string, path: string, body?: unknown, opts: { contentType?: string; signal?: AbortSignal } = {}): Promise<unknown> {
    return this.#json(method, path, { body, ...(opts.contentType ? { contentType: opts.contentType } : {}), signal: opts.signal });
  }

  close(): Promise<void> { return this.#pool.close(); }
  destroy(): Promise<void> { return this.#pool.destroy(); }

  async #json<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const hasBody = opts.body !== undefined;
    const res = await this.#pool.request({
      method: method as 'GET',
      path: this.#basePath + path + queryString(opts.query),
      headers: hasBody ? { ...this.#headers, 'content-type': opts.contentType ?? 'application/json' } : this.#headers,
      ...(hasBody ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) throw errorFromResponse(res.statusCode, text);
    const type = String(res.headers['content-type'] ?? '');
    if (text === '') return undefined as T;
    return (type.includes('json') || type === '' ? JSON.parse(text) : text) as T;
  }

  async *#watch<T>(path: string, query: Query, signal: AbortSignal | undefined): AsyncGenerator<WatchEvent<T>> {
    let res;
    try {
      res = await this.#pool.request({
        method: 'GET', path: this.#basePath + path + queryString(query), headers: this.#headers,
        // A watch is quiet for as long as nothing changes; the server's timeout ends it.
        bodyTimeout: 0,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    if (res.statusCode < 200 || res.statusCode > 299) throw errorFromResponse(res.statusCode, await res.body.text());
    try {
      yield* decodeWatchEvents<T>(res.body);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    } finally {
      res.body.destroy();
    }
  }
}

/** The verbs of one resource, bound. `namespace` is '' for cluster-scoped resources and for all namespaces. */
export class ResourceClient<T> {
  constructor(readonly client: RestClient, readonly info: ResourceInfo) {}

  get(namespace: string, name: string, opts?: { signal?: AbortSignal }): Promise<T> { return this.client.get<T>(this.info, namespace, name, opts); }
  list(namespace: string, opts?: ListOptions): Promise<ObjectList<T>> { return this.client.list<T>(this.info, namespace, opts); }
  create(namespace: string, obj: T, opts?: WriteOptions): Promise<T> { return this.client.create<T>(this.info, namespace, obj, opts); }
  update(namespace: string, obj: T, opts?: WriteOptions): Promise<T> { return this.client.update(this.info, namespace, obj as KubeObject, opts) as Promise<T>; }
  updateStatus(namespace: string, obj: T, opts?: WriteOptions): Promise<T> { return this.client.updateStatus(this.info, namespace, obj as KubeObject, opts) as Promise<T>; }
  patch(namespace: string, name: string, patchType: PatchType, body: unknown, opts?: PatchOptions): Promise<T> {
    return this.client.patch<T>(this.info, namespace, name, patchType, body, opts);
  }
  delete(namespace: string, name: string, opts?: DeleteOptions): Promise<T | Status> { return this.client.delete<T>(this.info, namespace, name, opts); }
  deleteCollection(namespace: string, opts?: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): Promise<unknown> {
    return this.client.deleteCollection(this.info, namespace, opts);
  }
  getSubresource<S = KubeObject>(namespace: string, name: string, subresource: string): Promise<S> {
    return this.client.getSubresource<S>(this.info, namespace, name, subresource);
  }
  createSubresource<S = KubeObject>(namespace: string, name: string, subresource: string, body: unknown, opts?: WriteOptions): Promise<S> {
    return this.client.createSubresource<S>(this.info, namespace, name, subresource, body, opts);
  }
  updateSubresource<S = KubeObject>(namespace: string, name: string, subresource: string, body: unknown, opts?: WriteOptions): Promise<S> {
    return this.client.updateSubresource<S>(this.info, namespace, name, subresource, body, opts);
  }
  watch(namespace: string, opts?: WatchOptions): AsyncIterable<WatchEvent<T>> { return this.client.watch<T>(this.info, namespace, opts); }
}

export function errorFromResponse(statusCode: number, text: string): StatusError {
  let body: unknown;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  if (isStatus(body)) return statusErrorFrom(body, statusCode);
  const message = text.trim() || `the server responded with the status code ${statusCode} but did not return more information`;
  return new StatusError(statusCode, reasonForCode(statusCode), message);
}

/** True for errors that mean the server isn't listening (yet): retry the same request later. */
export function isConnectionRefused(e: unknown): boolean {
  const code = (e as { code?: unknown; cause?: { code?: unknown } } | undefined);
  return code?.code === 'ECONNREFUSED' || code?.cause?.code === 'ECONNREFUSED';
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager };
}

function deleteOptionsBody(opts: DeleteOptions): object {
  return {
    kind: 'DeleteOptions', apiVersion: 'v1',
    ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
  };
}

/** Objects built in code often omit apiVersion/kind; the server wants them. */
function withTypeMeta(res: ResourceInfo, obj: unknown): unknown {
  if (typeof obj !== 'object' || obj === null) return obj;
  const o = obj as KubeObject;
  return { ...o, apiVersion: o.apiVersion ?? groupVersion(res), kind: o.kind ?? res.kind };
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new StatusError(400, 'BadRequest', 'resource name may not be empty');
  return name;
}
