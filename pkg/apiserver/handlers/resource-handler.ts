// Every /api and /apis resource request: verbs on collections and objects, watch, and the
// generic subresources (status, scale). Kind-specific subresources live in subresources.ts.
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourcePath } from '../request-path.js';
import { findKind } from '../../api/resources.js';
import { decodeObjectBodySoon, decodeOptionalBody, mediaType, parseJson } from '../request-body.js';
import { applyPatch, patchMediaType, patchTypes } from '../patch/apply-patch.js';
import type { DeleteOptions, Store } from '../store.js';
import type { Stores } from '../stores.js';
import { toTable } from '../tables.js';
import { bool, dryRun, fieldValidation, int, listQuery, str, type Query } from './query.js';
import { negotiate, TABLE_CONTENT_TYPE, type Encoding } from './response.js';
import { serveWatch, validateWatchOptions } from './watch-handler.js';
import { handleSubresource } from './subresources.js';
import { handleReview, isReview } from './reviews.js';
import {
  COMPONENT_STATUS_DEPRECATION, getComponentStatus, isComponentStatuses, listComponentStatuses, type ComponentProbe,
} from './component-statuses.js';
import { memoryReclaimer } from '../memory-reclaimer.js';
import type { TokenIssuer } from '../service-account-tokens.js';
import { reserveWhileOpen, type MemoryBudget } from '../memory-budget.js';

export interface HandlerContext {
  stores: Stores;
  log: Logger;
  /** Open watch responses: counted for metrics, flushed before the server closes. */
  watchers: { open: number; responses: Set<ServerResponse> };
  /** Aborted when the server shuts down: every watch ends its stream cleanly. */
  shutdown?: AbortSignal | undefined;
  /** How often idle watchers that allow bookmarks get one (tests shorten it). */
  bookmarkIntervalMs?: number | undefined;
  /** Signs serviceaccounts/token answers. */
  tokens: TokenIssuer;
  /** What componentstatuses reads probe. */
  components: readonly ComponentProbe[];
  /** How much may wait unsent for one watcher before it is cut off (tests lower it). */
  watchMaxBufferedBytes?: number | undefined;
  /** Bounds the memory of the list responses being built and sent at once. */
  listBudget: MemoryBudget;
}

/** componentstatuses: get and list only, answered from probes rather than a store. */
async function serveComponentStatuses(req: FastifyRequest, reply: FastifyReply, path: ResourcePath, probes: readonly ComponentProbe[]): Promise<unknown> {
  const q = req.query as Query;
  if (req.method !== 'GET' || path.subresource || (path.name === undefined && bool(q, 'watch'))) {
    throw errors.methodNotAllowed(req.method, path.resource.plural);
  }
  warn(reply, [COMPONENT_STATUS_DEPRECATION]);
  const encoding = negotiate(req.headers.accept);
  if (path.name !== undefined) return sendObject(reply, 200, await getComponentStatus(path.name, probes), encoding, includeObject(q));
  const items = await listComponentStatuses(listQuery(q, path.resource), probes);
  if (encoding.table) return sendTable(reply, toTable(path.resource, items, { includeObject: includeObject(q) ?? 'Metadata', resourceVersion: '' }));
  return sendJson(reply, 200, { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items });
}

/** The definitions strategic merge patch needs, rooted at the patched kind. */
function patchSchema(stores: Stores, group: string, version: string, kind: string) {
  const root = stores.schemas.definitionName(group, version, kind);
  if (!root) throw errors.internal(`no schema for ${kind}`);
  return { definitions: stores.schemas.definitions as Record<string, object>, root };
}

/**
 * What a list's response will weigh, from the watch cache: every object of the resource (a
 * namespace's share is not known without walking them), or `limit` of them. Before the cache
 * has loaded there is nothing to go by; asking for it starts the load.
 */
function estimatedListBytes(store: Store, limit: number | undefined): number {
  const bytes = store.cache.objectBytes;
  const count = store.cache.objectCount;
  if (bytes === undefined || count === undefined) {
    store.cache.ready().catch(() => undefined);
    return 0;
  }
  return limit && count > limit ? Math.ceil((bytes * limit) / count) : bytes;
}

export async function handleResource(req: FastifyRequest, reply: FastifyReply, path: ResourcePath, ctx: HandlerContext): Promise<unknown> {
  if (isReview(path)) return handleReview(req, reply, path, ctx.stores.schemas);
  if (isComponentStatuses(path)) return serveComponentStatuses(req, reply, path, ctx.components);
  const store = ctx.stores.get(path.group, path.version, path.resource.plural);
  if (!store) throw errors.notFound({ group: path.group, resource: path.resource.plural }, path.name ?? '');
  const q = req.query as Query;
  const method = req.method;
  const namespace = path.namespace;
  const ns = namespace ?? '';

  if (path.subresource) return handleSubresource(req, reply, path, store, ctx);

  const verbs = path.resource.verbs;
  const allow = (verb: string) => {
    if (!verbs.includes(verb)) throw errors.methodNotAllowed(method, `${path.resource.plural}`);
  };

  if (path.name === undefined) {
    switch (method) {
      case 'GET': {
        const encoding = negotiate(req.headers.accept);
        const watching = bool(q, 'watch');
        allow(watching ? 'watch' : 'list');
        const query = listQuery(q, path.resource);
        if (watching) {
          const sendInitialEvents = str(q, 'sendInitialEvents') ? bool(q, 'sendInitialEvents') : undefined;
          validateWatchOptions(query, sendInitialEvents);
          // Everything that can be refused is parsed before the response is taken over:
          // after hijack() an error has nobody to answer it.
          const watch = {
            store, namespace, query, encoding,
            timeoutSeconds: int(q, 'timeoutSeconds'),
            allowBookmarks: bool(q, 'allowWatchBookmarks'),
            sendInitialEvents, bookmarkIntervalMs: ctx.bookmarkIntervalMs,
            includeObject: includeObject(q),
            shutdown: ctx.shutdown, maxBufferedBytes: ctx.watchMaxBufferedBytes,
          };
          reply.hijack();
          ctx.watchers.open++;
          ctx.watchers.responses.add(reply.raw);
          serveWatch(reply.raw, watch, ctx.log, () => { ctx.watchers.open--; ctx.watchers.responses.delete(reply.raw); });
          return reply;
        }
        await reserveWhileOpen(ctx.listBudget, estimatedListBytes(store, query.limit), reply.raw);
        const list = await store.list(namespace, query);
        if (encoding.table) {
          return sendTable(reply, toTable(store.info, list.items, {
            includeObject: includeObject(q) ?? 'Metadata', resourceVersion: list.resourceVersion,
            ...(list.continue ? { continue: list.continue } : {}),
          }));
        }
        const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
        if (list.continue) metadata['continue'] = list.continue;
        if (list.remainingItemCount !== undefined) metadata['remainingItemCount'] = list.remainingItemCount;
        if (list.json) {
          // The items are already JSON (from the watch cache or etcd): written as they are, not re-serialised.
          const head = `{"kind":"${store.info.kind}List","apiVersion":"${store.apiVersion}","metadata":${JSON.stringify(metadata)},"items":[`;
          return sendChunks(reply, 200, [Buffer.from(head), ...joined(list.json), LIST_END]);
        }
        return sendJson(reply, 200, { kind: `${store.info.kind}List`, apiVersion: store.apiVersion, metadata, items: list.items });
      }
      case 'POST': {
        allow('create');
        const body = await decodeObjectBodySoon(req.headers['content-type'], req.body as Buffer | undefined);
        const result = await store.create(ns, body, { dryRun: dryRun(q), fieldValidation: fieldValidation(q) });
        warn(reply, result.warnings);
        const encoding = negotiateSafe(req);
        if (result.json && !encoding.table) return reply.code(201).header('content-type', 'application/json').send(result.json);
        return sendObject(reply, 201, result.object, encoding);
      }
      case 'DELETE': {
        allow('deletecollection');
        const opts = await deleteOptions(req, q);
        const deleted = await store.deleteCollection(namespace, listQuery(q, path.resource), opts, dryRun(q));
        return sendJson(reply, 200, { kind: `${store.info.kind}List`, apiVersion: store.apiVersion, metadata: {}, items: deleted });
      }
      default:
        throw errors.methodNotAllowed(method, path.resource.plural);
    }
  }

  const name = path.name;
  switch (method) {
    case 'GET': {
      allow('get');
      const encoding = negotiate(req.headers.accept);
      return sendObject(reply, 200, await store.get(ns, name), encoding, includeObject(q));
    }
    case 'PUT': {
      allow('update');
      const body = await decodeObjectBodySoon(req.headers['content-type'], req.body as Buffer | undefined);
      const result = await store.update(ns, name, body, { dryRun: dryRun(q), fieldValidation: fieldValidation(q) });
      warn(reply, result.warnings);
      return sendObject(reply, 200, result.object, negotiateSafe(req));
    }
    case 'PATCH': {
      allow('patch');
      const result = await patchObject(req, ctx.stores, store, ns, name, q, undefined);
      warn(reply, result.warnings);
      return sendObject(reply, 200, result.object, negotiateSafe(req));
    }
    case 'DELETE': {
      allow('delete');
      const result = await store.delete(ns, name, await deleteOptions(req, q), dryRun(q));
      if (!result.deleted || store.info.plural === 'pods') return sendObject(reply, 200, result.object, { table: false });
      return sendJson(reply, 200, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
        details: { name, group: store.info.group, kind: store.info.plural, uid: result.object.metadata?.uid },
      });
    }
    default:
      throw errors.methodNotAllowed(method, `${path.resource.plural}/${name}`);
  }
}

/** PATCH: the patch is applied to the current object inside the store's read-modify-write. */
export interface PatchView {
  group: string; version: string; kind: string;
  from(obj: KubeObject): KubeObject;
  to(obj: KubeObject, patched: KubeObject): KubeObject;
}

export async function patchObject(req: FastifyRequest, stores: Stores, store: Store, ns: string, name: string, q: Query,
  subresource: 'status' | undefined, transform?: PatchView) {
  const contentType = req.headers['content-type'] ?? '';
  const type = patchMediaType(contentType);
  if (type === patchTypes.apply) throw errors.unsupportedMediaType(type);
  if (![patchTypes.json, patchTypes.merge, patchTypes.strategic].includes(type as never)) {
    throw errors.unsupportedMediaType(mediaType(contentType));
  }
  const body = req.body as Buffer | undefined;
  if (!body || body.length === 0) throw errors.badRequest('the body of the request was empty');
  const patch = parseJson(body);
  const schema = transform
    ? patchSchema(stores, transform.group, transform.version, transform.kind)
    : patchSchema(stores, store.info.group, store.info.version, store.info.kind);
  return store.patch(ns, name, (current) => {
    const view = transform ? transform.from(current) : current;
    const patched = applyPatch(type, view, patch, schema);
    return transform ? transform.to(current, patched) : patched;
  }, { dryRun: dryRun(q), fieldValidation: fieldValidation(q), subresource });
}

export async function deleteOptions(req: FastifyRequest, q: Query): Promise<DeleteOptions> {
  const body = (await decodeOptionalBody(req.headers['content-type'], req.body as Buffer | undefined)) ?? {};
  const opts: DeleteOptions = {};
  const grace = int(q, 'gracePeriodSeconds') ?? (typeof body['gracePeriodSeconds'] === 'number' ? body['gracePeriodSeconds'] : undefined);
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = str(q, 'propagationPolicy') ?? (body['propagationPolicy'] as string | undefined);
  if (policy !== undefined && policy !== '') {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [{ field: 'propagationPolicy', type: 'FieldValueNotSupported', message: `"${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    }
    opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'] & string;
  }
  const orphan = str(q, 'orphanDependents') !== undefined ? bool(q, 'orphanDependents') : body['orphanDependents'] as boolean | undefined;
  if (typeof orphan === 'boolean') opts.orphanDependents = orphan;
  const pre = body['preconditions'] as { uid?: string; resourceVersion?: string } | undefined;
  if (pre && typeof pre === 'object') opts.preconditions = pre;
  return opts;
}

function includeObject(q: Query): 'None' | 'Metadata' | 'Object' | undefined {
  const v = str(q, 'includeObject');
  if (v === undefined || v === '') return undefined;
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw errors.badRequest(`includeObject invalid value: ${v}`);
}

function negotiateSafe(req: FastifyRequest): Encoding {
  return negotiate(req.headers.accept);
}

export function sendObject(reply: FastifyReply, code: number, obj: KubeObject, encoding: Encoding, include?: 'None' | 'Metadata' | 'Object'): FastifyReply {
  if (encoding.table) {
    const res = findInfo(obj);
    if (res) return sendTable(reply, toTable(res, [obj], { includeObject: include ?? 'Metadata', resourceVersion: obj.metadata?.resourceVersion ?? '' }), code);
  }
  return sendJson(reply, code, obj);
}

function findInfo(obj: KubeObject) { return obj.apiVersion && obj.kind ? findKind(obj.apiVersion, obj.kind) : undefined; }

/**
 * Sends JSON with exactly this Content-Type. A Buffer, because fastify re-serialises the
 * Content-Type of string payloads (quoting every parameter and appending a charset), and
 * clients pick discovery and Table decoding by that header.
 */
export function sendJsonAs(reply: FastifyReply, code: number, contentType: string, body: unknown): FastifyReply {
  return reply.code(code).header('content-type', contentType).send(Buffer.from(JSON.stringify(body)));
}

export function sendJson(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  return sendJsonAs(reply, code, 'application/json', body);
}

const LIST_END = Buffer.from(']}');
const COMMA = Buffer.from(',');

/** Comma-joined chunks of items, joined by commas themselves. */
function joined(chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c, i) => (i ? [COMMA, c] : [c]));
}

/** JSON already serialised in pieces, written piece by piece rather than copied into one buffer. */
function sendChunks(reply: FastifyReply, code: number, chunks: Buffer[]): FastifyReply {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  reply.raw.once('finish', () => memoryReclaimer.responseSent(length));
  return reply.code(code).header('content-type', 'application/json').header('content-length', length)
    .send(Readable.from(chunks, { objectMode: false }));
}

function sendTable(reply: FastifyReply, table: unknown, code = 200): FastifyReply {
  return sendJsonAs(reply, code, TABLE_CONTENT_TYPE, table);
}

function warn(reply: FastifyReply, warnings: string[]): void {
  if (warnings.length) reply.header('warning', warnings.map((w) => `299 - "${w.replace(/"/g, '\\"')}"`).join(', '));
}
