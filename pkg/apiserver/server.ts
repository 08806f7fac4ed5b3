// The kube-apiserver as a fastify app (no listen: tests use inject() or listen themselves).
import { once } from 'node:events';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errors, isStatusError, StatusError } from '../api/errors.js';
import type { Storage } from '../storage/storage.js';
import { parsePath } from './request-path.js';
import { Stores } from './stores.js';
import { SchemaRegistry } from './validation.js';
import { strategyFor } from './registry/strategies.js';
import { handleResource, sendJson, sendJsonAs, type HandlerContext } from './handlers/resource-handler.js';
import {
  aggregatedDiscovery, aggregatedVersion, AGGREGATED_V2, AGGREGATED_V2BETA1, apiGroupDocument, apiGroupList,
  apiResourceList, apiVersions, versionInfo,
} from './discovery.js';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './openapi.js';
import { ApiServerMetrics, requestVerb } from './metrics.js';
import { str, bool, type Query } from './handlers/query.js';
import { statusHeaders, toStatus } from './handlers/response.js';
import { TokenIssuer } from './service-account-tokens.js';
import { componentProbes, type ComponentProbe } from './handlers/component-statuses.js';
import { addTokenAuthentication, loadTokenFile } from './authentication/token-authentication.js';
import { BOOTSTRAP_FLOW_SCHEMAS, BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS, ensureBootstrapConfiguration } from './flowcontrol/bootstrap-configuration.js';
import { registerFlowControl } from './flowcontrol/flow-control-filter.js';
import { isLongRunning, requestAttributes } from './flowcontrol/request-attributes.js';
import { MemoryBudget, reserveWhileOpen } from './memory-budget.js';
import { parseGoDuration } from '../component/go-duration.js';

export interface ApiServerOptions {
  storage: Storage;
  etcdPrefix: string;
  logger: Logger;
  maxRequestBytes?: number;
  /** How much may wait unsent for one watcher before it is cut off (default 16 MiB). */
  watchMaxBufferedBytes?: number;
  /** How many bytes of request bodies of 64 KiB or more may be read and handled at once (default 4 MiB); more wait, then 429. */
  maxLargeBodyBytesInflight?: number;
  /** How many bytes of list responses may be built and sent at once (default 64 MiB); more wait, then 429. */
  maxListBytesInflight?: number;
  /** --request-timeout: how long a request that is not long-running may run (default 60 s). */
  requestTimeoutSeconds?: number;
  schemas?: SchemaRegistry;
  /** How often watchers that allow bookmarks get one; Kubernetes: about a minute. */
  watchBookmarkIntervalMs?: number;
  /** --service-account-issuer and --service-account-signing-key-file. */
  serviceAccountIssuer?: string | undefined;
  serviceAccountSigningKeyFile?: string | undefined;
  /** --token-auth-file: bearer tokens and the users they name (CSV). */
  tokenAuthFile?: string | undefined;
  /** What componentstatuses reads probe (default: the scheduler's and controller-manager's local ports). */
  componentProbes?: ComponentProbe[];
  /** --enable-priority-and-fairness (default true); false: only the two max-in-flight limits. */
  enablePriorityAndFairness?: boolean;
  /** --max-requests-inflight (default 400) and --max-mutating-requests-inflight (default 200); 0 is unlimited. */
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
}

export interface ApiServer {
  app: FastifyInstance;
  stores: Stores;
  /** Creates the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease). */
  bootstrap(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
const HEADERS_TIMEOUT_MS = 32_000;
const REFUSED_BODY_LINGER_MS = 2_000;
/** A body this big takes the large-body budget (see the preParsing hook). */
const LARGE_BODY_BYTES = 64 * 1024;
const DEFAULT_LARGE_BODY_BYTES_INFLIGHT = 4 * 1024 * 1024;
const DEFAULT_LIST_BYTES_INFLIGHT = 64 * 1024 * 1024;
const SERVED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A request's own `timeout` query parameter shortens its deadline, never lengthens it
 * (upstream's request-timeout filter). A bad value is left to the handler, which refuses it.
 */
function requestTimeoutFor(url: string, serverTimeoutMs: number): number {
  const q = url.indexOf('?');
  if (q < 0) return serverTimeoutMs;
  const value = new URLSearchParams(url.slice(q + 1)).get('timeout');
  if (!value) return serverTimeoutMs;
  const ms = parseGoDuration(value);
  return ms !== undefined && ms > 0 && ms < serverTimeoutMs ? ms : serverTimeoutMs;
}

/** Answers what Node's HTTP parser refused, with the Status kube-apiserver would give. */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  answerRaw(socket, clientErrorStatus(err.code));
}

/**
 * A body refused before it was read (over --max-request-bytes) is still arriving: closing at
 * once would reset the connection under a client that is still sending, and it would never
 * read its 413. Answer, then read and drop the rest for a moment before closing, as Go's
 * server does; a client that keeps sending after that loses the connection. The answer goes
 * straight to the socket: Node closes a Connection: close exchange as soon as its response ends.
 */
function answerThenDrain(req: FastifyRequest, reply: FastifyReply, status: StatusError): void {
  reply.hijack();
  const socket = req.raw.socket;
  socket.write(rawStatusResponse(status));
  const timer = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS);
  timer.unref();
  req.raw.once('end', () => { clearTimeout(timer); socket.end(); });
  req.raw.resume();
}

function rawStatusResponse(status: StatusError): string {
  const body = JSON.stringify(status.status);
  return `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\nContent-Type: application/json\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function answerRaw(socket: Duplex, status: StatusError): void {
  socket.end(rawStatusResponse(status));
}

export function clientErrorStatus(code: string | undefined): StatusError {
  switch (code) {
    case 'HPE_INVALID_METHOD': return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    case 'HPE_HEADER_OVERFLOW': return new StatusError(431, 'BadRequest', 'Request Header Fields Too Large');
    case 'ERR_HTTP_REQUEST_TIMEOUT': return new StatusError(408, 'Timeout', 'the request was not received in time');
    default: return errors.badRequest(`malformed HTTP request${code ? ` (${code})` : ''}`);
  }
}
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function buildServer(opts: ApiServerOptions): ApiServer {
  const log = opts.logger;
  const schemas = opts.schemas ?? SchemaRegistry.load();
  const stores = new Stores({ storage: opts.storage, etcdPrefix: opts.etcdPrefix, schemas, logger: log, strategyFor });
  const watchers = { open: 0, responses: new Set<ServerResponse>() };
  const shutdown = new AbortController();
  const tokens = new TokenIssuer({ issuer: opts.serviceAccountIssuer, signingKeyFile: opts.serviceAccountSigningKeyFile });
  const ctx: HandlerContext = {
    stores, log, watchers, bookmarkIntervalMs: opts.watchBookmarkIntervalMs, shutdown: shutdown.signal, tokens,
    components: opts.componentProbes ?? componentProbes([]),
    watchMaxBufferedBytes: opts.watchMaxBufferedBytes,
    listBudget: new MemoryBudget({ limitBytes: opts.maxListBytesInflight ?? DEFAULT_LIST_BYTES_INFLIGHT }),
  };
  const metrics = new ApiServerMetrics(() => watchers.open);
  const maxBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;

  const requestTimeoutMs = (opts.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000;
  const app = Fastify({
    logger: false, bodyLimit: maxBytes, return503OnClosing: true,
    // Node answers a request without Host with a bare 400; the hook below answers a Status.
    http: { requireHostHeader: false },
    // A client has this long to send a whole request (headers and body), so slow clients cannot
    // hold connections forever. Long-running responses (watches) are not bounded by it.
    requestTimeout: requestTimeoutMs,
    // Malformed request lines, unknown methods, oversized headers: Node's parser rejects them
    // before any route runs; they are answered with a Status too.
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const status = err.code === 'FST_ERR_BAD_URL' ? errors.badRequest(`invalid request path: ${err.message}`) : toStatus(err, maxBytes);
      void reply.code(status.code).headers(statusHeaders(status)).send(JSON.stringify(status.status));
    },
  });
  // Upstream's ReadHeaderTimeout is 32 s; Node's default is 60 s and must not exceed requestTimeout.
  app.server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  // What Node answers itself, or drops, before any route: CONNECT and unknown Expect values.
  app.server.on('connect', (_req: unknown, socket: Duplex) => answerRaw(socket, errors.methodNotAllowed('CONNECT', 'this server')));
  app.server.on('checkExpectation', (req: { headers: { expect?: string } }, res: ServerResponse) => {
    const status = new StatusError(417, 'BadRequest', `unsupported Expect header: ${req.headers.expect ?? ''}`);
    const body = JSON.stringify(status.status);
    res.writeHead(status.code, { ...statusHeaders(status), 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });
  app.addHook('onRequest', (req, reply, done) => {
    // Go's net/http refuses HTTP/1.1 without Host in the same words.
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      const status = errors.badRequest('missing required Host header');
      void reply.code(400).headers(statusHeaders(status)).send(JSON.stringify(status.status));
      return;
    }
    done();
  });

  // Every body is read raw: the handlers decode JSON, YAML, protobuf and the patch types themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: unknown, req, reply) => {
    const status = toStatus(err, maxBytes);
    if (status.code === 413 && !req.raw.complete) { answerThenDrain(req, reply, status); return; }
    if (status.code >= 500) log.error({ err: err instanceof Error ? err.stack : String(err), method: req.method, url: req.url }, 'request failed');
    void reply.code(status.code).headers(statusHeaders(status)).send(JSON.stringify(status.status));
  });
  app.setNotFoundHandler((req, reply) => {
    const status = SERVED_METHODS.has(req.method)
      ? new StatusError(404, 'NotFound', 'the server could not find the requested resource')
      : errors.methodNotAllowed(req.method, req.url);
    void reply.code(status.code).header('content-type', 'application/json').send(JSON.stringify(status.status));
  });
  if (opts.tokenAuthFile) addTokenAuthentication(app, loadTokenFile(opts.tokenAuthFile, log));
  // Overload protection (priority and fairness, or max-in-flight): after authentication, before the body is read.
  registerFlowControl(app, {
    enablePriorityAndFairness: opts.enablePriorityAndFairness ?? true,
    maxRequestsInflight: opts.maxRequestsInflight ?? 400, maxMutatingRequestsInflight: opts.maxMutatingRequestsInflight ?? 200,
    requestTimeoutMs, stores, metrics: metrics.flowControl, logger: log,
    bootstrap: { flowSchemas: BOOTSTRAP_FLOW_SCHEMAS, priorityLevels: BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS },
  });

  // Large bodies wait for the large-body budget before they are read: what decoding and checking
  // them takes, in memory and in time on the one JavaScript thread, grows with their size.
  // Bodies of ordinary objects (a pod is ~2 KB) never wait.
  const largeBodies = new MemoryBudget({ limitBytes: opts.maxLargeBodyBytesInflight ?? DEFAULT_LARGE_BODY_BYTES_INFLIGHT });
  app.addHook('preParsing', async (req, reply) => {
    const declared = Number(req.headers['content-length'] ?? (req.headers['transfer-encoding'] ? maxBytes : 0));
    if (!(declared >= LARGE_BODY_BYTES) || declared > maxBytes) return; // over the limit: 413 without reading it
    await reserveWhileOpen(largeBodies, declared, reply.raw);
  });

  // --request-timeout: a request still running after it is answered 504, as upstream's timeout
  // filter does; its handler finishes in the background and its late answer is dropped.
  app.addHook('onRequest', (req, reply, done) => {
    if (isLongRunning(requestAttributes(req.method, req.url))) { done(); return; }
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      const status = errors.timeout('Timeout: request did not complete within requested timeout - context deadline exceeded');
      log.warn({ method: req.method, url: req.url, timeoutSeconds: requestTimeoutMs / 1000 }, 'request timed out');
      void reply.code(status.code).headers(statusHeaders(status)).send(JSON.stringify(status.status));
    }, requestTimeoutFor(req.url, requestTimeoutMs));
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });

  // The route parses each request's path already; the metrics hook reuses that.
  const parsedPaths = new WeakMap<FastifyRequest, ReturnType<typeof parsePath>>();
  app.addHook('onResponse', (req, reply, done) => {
    const path = parsedPaths.get(req) ?? parsePath(req.url);
    if (path.kind === 'resource') {
      const p = path.path;
      const verb = requestVerb(req.method, p.name !== undefined, bool(req.query as Query, 'watch'));
      const labels = { verb, group: p.group, version: p.version, resource: p.resource.plural, subresource: p.subresource ?? '' };
      metrics.request(labels, reply.statusCode, reply.elapsedTime / 1000);
    }
    done();
  });

  const resourceRoute = async (req: FastifyRequest, reply: FastifyReply) => {
    const parsed = parsePath(req.url);
    parsedPaths.set(req, parsed);
    switch (parsed.kind) {
      case 'resource': return handleResource(req, reply, parsed.path, ctx);
      case 'groupVersion': {
        if (req.method !== 'GET') throw errors.methodNotAllowed(req.method, req.url);
        const list = apiResourceList(parsed.group, parsed.version);
        if (!list) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(reply, 200, list);
      }
      case 'group': {
        const doc = apiGroupDocument(parsed.group);
        if (!doc || req.method !== 'GET') throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(reply, 200, doc);
      }
      default:
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
  };
  const methods = [...SERVED_METHODS] as ('GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE')[];
  app.route({ method: [...methods], url: '/api/*', handler: resourceRoute });
  app.route({ method: [...methods], url: '/apis/*', handler: resourceRoute });

  app.get('/api', async (req, reply) => {
    const v = aggregatedVersion(req.headers.accept);
    if (v) return sendJsonAs(reply, 200, v === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1, aggregatedDiscovery(true, v));
    return sendJson(reply, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
  });
  app.get('/apis', async (req, reply) => {
    const v = aggregatedVersion(req.headers.accept);
    if (v) return sendJsonAs(reply, 200, v === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1, aggregatedDiscovery(false, v));
    return sendJson(reply, 200, apiGroupList());
  });
  app.get('/version', async (_req, reply) => sendJson(reply, 200, versionInfo()));

  app.get('/openapi/v2', async (req, reply) => {
    // kubectl asks for the protobuf form first and tolerates a 404; JSON is all we serve.
    const accept = req.headers.accept ?? '';
    if (accept && !/json|\*\/\*/.test(accept)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const doc = openApiV2Document(schemas);
    return reply.header('content-type', 'application/json').header('etag', doc.etag).send(doc.body);
  });
  app.get('/openapi/v3', async (_req, reply) => sendJson(reply, 200, openApiV3Index(schemas)));
  app.get('/openapi/v3/*', async (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    const doc = openApiV3Document(schemas, path);
    if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    return reply.header('content-type', 'application/json').header('etag', doc.etag)
      .header('cache-control', str(req.query as Query, 'hash') ? 'public, immutable' : 'no-cache, private').send(doc.body);
  });

  for (const path of ['/healthz', '/livez', '/readyz']) {
    app.get(path, async (_req, reply) => {
      try {
        await opts.storage.currentRevision();
        return reply.header('content-type', 'text/plain; charset=utf-8').send('ok');
      } catch {
        return reply.code(500).header('content-type', 'text/plain; charset=utf-8').send('[-]etcd failed: reason withheld\nhealthz check failed');
      }
    });
  }
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  return {
    app, stores,
    async bootstrap() {
      const namespaces = stores.preferred('', 'namespaces')!;
      for (const name of SYSTEM_NAMESPACES) {
        try {
          await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
          log.info({ namespace: name }, 'created system namespace');
        } catch (e) {
          if (!(isStatusError(e) && e.reason === 'AlreadyExists')) throw e;
        }
      }
      await ensureBootstrapConfiguration(stores, log);
    },
    async close() {
      // End every watch stream (also those still subscribing) and wait until the last chunk
      // is out, else closing the connections cuts the streams off and clients see an error.
      const ending = [...watchers.responses].map((res) => (res.writableFinished || res.destroyed ? undefined
        : Promise.race([once(res, 'finish'), once(res, 'close'), sleep(1000)]).catch(() => undefined)));
      shutdown.abort();
      for (const s of stores.all()) s.cache.stop();
      await Promise.all(ending);
      // A watcher that stopped reading never takes its last chunk: cut it, or close() waits forever.
      for (const res of watchers.responses) if (!res.writableFinished) res.socket?.destroy();
      await app.close();
    },
  };
}
