// The kubelet's HTTP server (pkg/kubelet/server/server.go), the parts we serve: /healthz,
// /metrics and /containerLogs, which the apiserver's pods/log subresource proxies to. Errors
// are v1 Status bodies; the apiserver turns their message into its own BadRequest, which is
// what kubectl prints (upstream's kubelet answers plain text that ends up the same way).
import { fastify, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ContainerRuntime, LogOptions } from '../runtime/runtime.js';

export interface KubeletServerOptions {
  runtime: ContainerRuntime;
  address: string;
  port: number;
  log: Logger;
  /**
   * The container id of that container (previous: the instance before the current one), or
   * undefined when there is none. Throw a ContainerLogsError to refuse with a message of your
   * own, e.g. `container "c" in pod "p" is waiting to start: ContainerCreating`.
   */
  findContainer(namespace: string, podName: string, containerName: string, previous: boolean): Promise<string | undefined>;
  metricsText?(): Promise<string>;
}

/** A refusal to serve logs, answered with this code (upstream: 400 for container states). */
export class ContainerLogsError extends Error {
  constructor(message: string, readonly code = 400) {
    super(message);
    this.name = 'ContainerLogsError';
  }
}

interface LogsQuery {
  follow?: string;
  previous?: string;
  timestamps?: string;
  tailLines?: string;
  tail?: string;
  sinceSeconds?: string;
  sinceTime?: string;
  limitBytes?: string;
}

export class KubeletServer {
  readonly #opts: KubeletServerOptions;
  readonly #app: FastifyInstance;
  #port: number;

  constructor(opts: KubeletServerOptions) {
    this.#opts = opts;
    this.#port = opts.port;
    this.#app = buildKubeletServer(opts);
  }

  /** The bound port (useful with port 0 once started). */
  get port(): number { return this.#port; }

  /** The fastify app, for inject() in tests. */
  get app(): FastifyInstance { return this.#app; }

  async start(): Promise<void> {
    await this.#app.listen({ host: this.#opts.address, port: this.#opts.port });
    const addr = this.#app.server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
    this.#opts.log.info({ address: this.#opts.address, port: this.#port }, 'kubelet server listening');
  }

  async close(): Promise<void> {
    // Followed log streams never end on their own: cut them so close() returns.
    this.#app.server.closeAllConnections();
    await this.#app.close();
  }
}

export function buildKubeletServer(opts: KubeletServerOptions): FastifyInstance {
  const app = fastify({ logger: false, forceCloseConnections: true, routerOptions: { maxParamLength: 1000 } });

  app.get('/healthz', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));

  app.get('/metrics', async (_req, reply) => {
    const text = opts.metricsText ? await opts.metricsText() : '';
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  app.get<{ Params: { namespace: string; pod: string }; Querystring: LogsQuery }>('/containerLogs/:namespace/:pod/', async (_req, reply) =>
    sendStatus(reply, 400, 'BadRequest', 'Missing container name.'));

  app.get<{ Params: { namespace: string; pod: string; container: string }; Querystring: LogsQuery }>(
    '/containerLogs/:namespace/:pod/:container',
    async (req, reply) => {
      const { namespace, pod, container } = req.params;
      const parsed = parseLogOptions(req.query);
      if (typeof parsed === 'string') return sendStatus(reply, 422, 'Invalid', parsed);
      const { previous, limitBytes, options } = parsed;

      let id: string | undefined;
      try {
        id = await opts.findContainer(namespace, pod, container, previous);
      } catch (err) {
        if (err instanceof ContainerLogsError) return sendStatus(reply, err.code, err.code === 404 ? 'NotFound' : 'BadRequest', err.message);
        throw err;
      }
      if (id === undefined) {
        const message = previous
          ? `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} not found`
          : `container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} is not available`;
        return sendStatus(reply, 404, 'NotFound', message);
      }

      const ac = new AbortController();
      const stream = opts.runtime.logs(id, { ...options, signal: ac.signal })[Symbol.asyncIterator]();
      // Pull the first chunk before answering, so a runtime error is still a proper error reply.
      let first: IteratorResult<Buffer>;
      try {
        first = await stream.next();
      } catch (err) {
        ac.abort();
        return sendStatus(reply, 400, 'BadRequest', err instanceof Error ? err.message : String(err));
      }
      reply.hijack();
      const res = reply.raw;
      res.on('close', () => ac.abort());
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
      let remaining = limitBytes ?? Infinity;
      const write = (chunk: Buffer): boolean => {
        if (remaining <= 0) return false;
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        res.write(part);
        return remaining > 0;
      };
      try {
        let next = first;
        while (!next.done && !ac.signal.aborted) {
          if (!write(next.value)) break;
          next = await stream.next();
        }
      } catch (err) {
        if (!ac.signal.aborted) opts.log.warn({ err, container: id }, 'log stream failed');
      } finally {
        ac.abort();
        await stream.return?.().catch(() => undefined);
        res.end();
      }
    },
  );

  app.setNotFoundHandler((req, reply) => sendStatus(reply, 404, 'NotFound', `404 page not found: ${req.url}`));
  app.setErrorHandler((err, _req, reply) => {
    opts.log.error({ err }, 'kubelet server error');
    return sendStatus(reply, 500, 'InternalError', err instanceof Error ? err.message : String(err));
  });
  return app;
}

/** Go's strconv.ParseBool, which the kubelet's query decoding uses. */
function parseBool(v: string | undefined): boolean | undefined | 'invalid' {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(v)) return false;
  return 'invalid';
}

function parseIntParam(v: string | undefined): number | undefined | 'invalid' {
  if (v === undefined || v === '') return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : 'invalid';
}

/** PodLogOptions from the query, validated as ValidatePodLogOptions does; a string is the refusal. */
export function parseLogOptions(q: LogsQuery): { previous: boolean; limitBytes: number | undefined; options: LogOptions } | string {
  const follow = parseBool(q.follow);
  const previous = parseBool(q.previous);
  const timestamps = parseBool(q.timestamps);
  // The legacy `tail` parameter; "all" means no limit.
  const tailRaw = q.tail !== undefined ? (q.tail === 'all' ? undefined : q.tail) : q.tailLines;
  const tailLines = parseIntParam(tailRaw);
  const sinceSeconds = parseIntParam(q.sinceSeconds);
  const limitBytes = parseIntParam(q.limitBytes);
  if ([follow, previous, timestamps, tailLines, sinceSeconds, limitBytes].includes('invalid')) return 'Unable to decode query.';
  if (typeof tailLines === 'number' && tailLines < 0) return 'Invalid request.';
  if (typeof limitBytes === 'number' && limitBytes < 1) return 'Invalid request.';
  if (typeof sinceSeconds === 'number' && sinceSeconds < 1) return 'Invalid request.';
  if (sinceSeconds !== undefined && q.sinceTime) return 'Invalid request.';
  if (q.sinceTime && Number.isNaN(Date.parse(q.sinceTime))) return 'Unable to decode query.';
  const options: LogOptions = {};
  if (follow === true) options.follow = true;
  if (timestamps === true) options.timestamps = true;
  if (typeof tailLines === 'number') options.tailLines = tailLines;
  if (typeof sinceSeconds === 'number') options.sinceSeconds = sinceSeconds;
  if (q.sinceTime) options.sinceTime = q.sinceTime;
  return { previous: previous === true, limitBytes: typeof limitBytes === 'number' ? limitBytes : undefined, options };
}

function sendStatus(reply: FastifyReply, code: number, reason: string, message: string): FastifyReply {
  return reply.code(code).type('application/json').send({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code,
  });
}
