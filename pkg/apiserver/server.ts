// The kube-apiserver as a fastify app (no listen: tests use inject() or listen themselves).
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
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

export interface ApiServerOptions {
  storage: Storage;
  etcdPrefix: string;
  logger: Logger;
  maxRequestBytes?: number;
  schemas?: SchemaRegistry;
  /** How often watchers that allow bookmarks get one; Kubernetes: about a minute. */
  watchBookmarkIntervalMs?: number;
  /** --service-account-issuer and --service-account-signing-key-file. */
  serviceAccountIssuer?: string | undefined;
  serviceAccountSigningKeyFile?: string | undefined;
  /** What componentstatuses reads probe (default: the scheduler's and controller-manager's local ports). */
  componentProbes?: ComponentProbe[];
}

export interface ApiServer {
  app: FastifyInstance;
  stores: Stores;
  /** Creates the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease). */
  bootstrap(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;
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
  };
  const metrics = new ApiServerMetrics(() => watchers.open);
  const maxBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;

  const app = Fastify({ logger: false, bodyLimit: maxBytes, return503OnClosing: true });

  // Every body is read raw: the handlers decode JSON, YAML, protobuf and the patch types themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: unknown, req, reply) => {
    const status = toStatus(err, maxBytes);
    if (status.code >= 500) log.error({ err: err instanceof Error ? err.stack : String(err), method: req.method, url: req.url }, 'request failed');
    void reply.code(status.code).headers(statusHeaders(status)).send(JSON.stringify(status.status));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).header('content-type', 'application/json').send(JSON.stringify(new StatusError(404, 'NotFound', 'the server could not find the requested resource').status));
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
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
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
    },
    async close() {
      // End every watch stream (also those still subscribing) and wait until the last chunk
      // is out, else closing the connections cuts the streams off and clients see an error.
      const ending = [...watchers.responses].map((res) => (res.writableFinished || res.destroyed ? undefined
        : Promise.race([once(res, 'finish'), once(res, 'close'), sleep(1000)]).catch(() => undefined)));
      shutdown.abort();
      for (const s of stores.all()) s.cache.stop();
      await Promise.all(ending);
      await app.close();
    },
  };
}
