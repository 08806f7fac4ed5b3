// The kubelet's HTTP server (pkg/kubelet/server/server.go), the parts we serve: /healthz,
// /metrics and /containerLogs, which the apiserver's pods/log subresource proxies to. Log
// errors are v1 Status bodies; the apiserver turns their message into its own BadRequest,
// which is what kubectl prints (upstream's kubelet answers plain text that ends up the same
// way). Unknown paths and methods get the plain text of Go's ServeMux and go-restful.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendText, startComponentServer, type ComponentRequest, type HttpServerLimits, type RunningHttpServer } from '../../component/http-server.js';
import type { ContainerRuntime, LogOptions } from '../runtime/runtime.js';

export interface KubeletServerOptions extends HttpServerLimits {
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

// go-restful's answers for the /containerLogs/ web service; other paths get ServeMux's.
const RESTFUL_NOT_FOUND = '404: Page Not Found';
const RESTFUL_METHOD_NOT_ALLOWED = '405: Method Not Allowed';

export class KubeletServer {
  readonly #opts: KubeletServerOptions;
  #running: RunningHttpServer | undefined;
  #port: number;

  constructor(opts: KubeletServerOptions) {
    this.#opts = opts;
    this.#port = opts.port;
  }

  /** The bound port (useful with port 0 once started). */
  get port(): number { return this.#port; }

  async start(): Promise<void> {
    const { runtime: _runtime, findContainer: _find, metricsText: _metrics, ...serverOpts } = this.#opts;
    this.#running = await startComponentServer({
      ...serverOpts,
      routes: kubeletRoutes(this.#opts),
      notFound: (path) => (path.startsWith('/containerLogs/') ? RESTFUL_NOT_FOUND : '404 page not found\n'),
    });
    this.#port = this.#running.port;
    this.#opts.log.info({ address: this.#opts.address, port: this.#port }, 'kubelet server listening');
  }

  async close(): Promise<void> {
    await this.#running?.close();
  }
}

function kubeletRoutes(opts: KubeletServerOptions) {
  const GET = ['GET'];
  return [
    { path: '/healthz', methods: GET, handler: ({ res }: ComponentRequest) => sendText(res, 200, 'ok') },
    {
      path: '/metrics',
      methods: GET,
      handler: async ({ res }: ComponentRequest) => {
        const text = opts.metricsText ? await opts.metricsText() : '';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
      },
    },
    {
      path: '/containerLogs/',
      methods: GET,
      methodNotAllowedText: RESTFUL_METHOD_NOT_ALLOWED,
      handler: (request: ComponentRequest) => containerLogs(opts, request),
    },
  ];
}

/** GET /containerLogs/{podNamespace}/{podID}/{containerName} (server.go getContainerLogs). */
async function containerLogs(opts: KubeletServerOptions, { res, segments, query }: ComponentRequest): Promise<void> {
  const [namespace, pod, container, ...extra] = segments;
  if (namespace === undefined || pod === undefined || container === undefined || extra.length > 0 || namespace === '' || pod === '') {
    return sendText(res, 404, RESTFUL_NOT_FOUND);
  }
  if (container === '') return sendStatus(res, 400, 'BadRequest', 'Missing container name.');
  const q: LogsQuery = {};
  for (const key of ['follow', 'previous', 'timestamps', 'tailLines', 'tail', 'sinceSeconds', 'sinceTime', 'limitBytes'] as const) {
    // Go's Values.Get: the first of repeated parameters.
    const v = query.get(key);
    if (v !== null) q[key] = v;
  }
  const parsed = parseLogOptions(q);
  if (typeof parsed === 'string') return sendStatus(res, parsed === DECODE_ERROR ? 400 : 422, parsed === DECODE_ERROR ? 'BadRequest' : 'Invalid', parsed);
  const { previous, limitBytes, options } = parsed;

  let id: string | undefined;
  try {
    id = await opts.findContainer(namespace, pod, container, previous);
  } catch (err) {
    if (err instanceof ContainerLogsError) return sendStatus(res, err.code, err.code === 404 ? 'NotFound' : 'BadRequest', err.message);
    throw err;
  }
  if (id === undefined) {
    const message = previous
      ? `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} not found`
      : `container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} is not available`;
    return sendStatus(res, 404, 'NotFound', message);
  }

  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const stream = opts.runtime.logs(id, { ...options, signal: ac.signal })[Symbol.asyncIterator]();
  // Pull the first chunk before answering, so a runtime error is still a proper error reply.
  let first: IteratorResult<Buffer>;
  try {
    first = await stream.next();
  } catch (err) {
    ac.abort();
    return sendStatus(res, 400, 'BadRequest', err instanceof Error ? err.message : String(err));
  }
  if (res.destroyed) {
    ac.abort();
    await stream.return?.().catch(() => undefined);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let remaining = limitBytes ?? Infinity;
  try {
    let next = first;
    while (!next.done && !ac.signal.aborted && remaining > 0) {
      const part = next.value.length > remaining ? next.value.subarray(0, remaining) : next.value;
      remaining -= part.length;
      // A client that stops reading holds the stream here rather than in our memory.
      if (!res.write(part)) await drained(res, ac.signal);
      if (remaining > 0) next = await stream.next();
    }
  } catch (err) {
    if (!ac.signal.aborted) opts.log.warn({ err, container: id }, 'log stream failed');
  } finally {
    ac.abort();
    await stream.return?.().catch(() => undefined);
    res.end();
  }
}

/** Resolves when the response can take more, or when the client has gone. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Go's strconv.ParseBool, which the kubelet's query decoding uses. */
function parseBool(v: string | undefined): boolean | undefined | 'invalid' {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(v)) return false;
  return 'invalid';
}

const DECODE_ERROR = 'Unable to decode query.';
const INVALID = 'Invalid request.';
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(v, 10, 64) as the query decoder uses it: out of int64 is a decode error. */
function parseIntParam(v: string | undefined): number | undefined | 'invalid' {
  if (v === undefined || v === '') return undefined;
  if (!/^[+-]?\d{1,30}$/.test(v)) return 'invalid';
  const n = BigInt(v);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) return 'invalid';
  // Past 2^53 every count means "all of it"; keep the value exact for the runtime.
  return Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : n);
}

/** metav1.Time's decoding: RFC 3339 with a zone, seconds precision or finer. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** PodLogOptions from the query, validated as ValidatePodLogOptions does; a string is the refusal. */
export function parseLogOptions(q: LogsQuery): { previous: boolean; limitBytes: number | undefined; options: LogOptions } | string {
  const follow = parseBool(q.follow);
  const previous = parseBool(q.previous);
  const timestamps = parseBool(q.timestamps);
  // The legacy `tail` parameter; "all" means no limit.
  const tailRaw = q.tail ? (q.tail === 'all' ? undefined : q.tail) : q.tailLines;
  const tailLines = parseIntParam(tailRaw);
  const sinceSeconds = parseIntParam(q.sinceSeconds);
  const limitBytes = parseIntParam(q.limitBytes);
  if ([follow, previous, timestamps, tailLines, sinceSeconds, limitBytes].includes('invalid')) return DECODE_ERROR;
  if (q.sinceTime && (!RFC3339.test(q.sinceTime) || Number.isNaN(Date.parse(q.sinceTime)))) return DECODE_ERROR;
  if (typeof tailLines === 'number' && tailLines < 0) return INVALID;
  if (typeof limitBytes === 'number' && limitBytes < 1) return INVALID;
  if (typeof sinceSeconds === 'number' && sinceSeconds < 1) return INVALID;
  if (sinceSeconds !== undefined && q.sinceTime) return INVALID;
  const options: LogOptions = {};
  if (follow === true) options.follow = true;
  if (timestamps === true) options.timestamps = true;
  if (typeof tailLines === 'number') options.tailLines = tailLines;
  // Before the epoch is all of it; a larger span would only overflow the runtime's arithmetic.
  if (typeof sinceSeconds === 'number') options.sinceSeconds = Math.min(sinceSeconds, Math.ceil(Date.now() / 1000));
  if (q.sinceTime) options.sinceTime = q.sinceTime;
  return { previous: previous === true, limitBytes: typeof limitBytes === 'number' ? limitBytes : undefined, options };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
