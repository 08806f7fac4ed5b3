// The HTTP server every component's own port runs on (the kubelet's, and the scheduler's and
// controller-manager's health/metrics ports): routing by path as Go's ServeMux does, and no
// input that can crash or wedge the process. Slow clients are cut by the header and request
// timeouts, bodies are never buffered, malformed requests get an HTTP error answer rather
// than Node's bare close, and a handler that throws gives a 500 without a stack trace.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';

/** A request whose path was decoded and split; `segments` are decoded, `path` is not. */
export interface ComponentRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The raw path, before percent-decoding. */
  path: string;
  /** The decoded path segments after the route's prefix ('' for a trailing slash). */
  segments: string[];
  query: URLSearchParams;
}

export interface ComponentRoute {
  /** An exact path, or a prefix ending in '/' that matches every path under it (ServeMux style). */
  path: string;
  /** Allowed methods; HEAD is implied by GET. */
  methods: readonly string[];
  handler(request: ComponentRequest): void | Promise<void>;
  /** The body of this route's 405 (default Go's `Method Not Allowed`). */
  methodNotAllowedText?: string;
}

export interface HttpServerLimits {
  /** Time to receive a request's headers (default 32 s, upstream's ReadHeaderTimeout). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 60 s). */
  requestTimeoutMs?: number;
  /** Idle time allowed between requests on a kept-alive connection (default Node's 5 s). */
  keepAliveTimeoutMs?: number;
  /** The largest request head (default Node's 16 KiB); beyond it, 431. */
  maxHeaderSize?: number;
  /** The largest request body read and discarded (default 64 KiB); beyond it, 413 and close. */
  maxBodyBytes?: number;
}

export interface HttpServerOptions extends HttpServerLimits {
  routes: readonly ComponentRoute[];
  log: Logger;
  /** The 404 body for unknown paths (default Go's ServeMux `404 page not found`). */
  notFound?: (path: string) => string;
}

export interface RunningHttpServer {
  server: Server;
  /** The bound port (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const CLIENT_ERROR_LINGER_MS = 1_000;
const DEFAULTS = { headersTimeoutMs: 32_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxHeaderSize: 16 * 1024, maxBodyBytes: 64 * 1024 };

function createComponentServer(opts: HttpServerOptions): Server {
  const limits = { ...DEFAULTS, ...definedOnly(opts) };
  const requestTimeoutMs = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  const server = createServer({
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node only enforces the two timeouts when it checks; check often enough to honour them.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 2))),
  });
  // Responses still being written per socket: a client error then must not write a second one.
  const inFlight = new WeakMap<Socket, number>();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => inFlight.set(socket, Math.max(0, (inFlight.get(socket) ?? 1) - 1)));
    res.on('error', (err) => opts.log.debug({ err: String(err) }, 'HTTP response failed'));
    req.on('error', () => undefined);
    serve(req, res, opts, limits.maxBodyBytes).catch((err: unknown) => {
      opts.log.error({ err, method: req.method, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n', { connection: 'close' });
      else res.destroy();
    });
  });

  // Sockets already answered after a parse error; the parser may report more errors for them.
  const answered = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    try {
      if (answered.has(socket)) return;
      if (err.code === 'ECONNRESET' || !socket.writable || (inFlight.get(socket) ?? 0) > 0) {
        socket.destroy();
        return;
      }
      answered.add(socket);
      const [code, reason, body] = clientErrorAnswer(err, opts);
      socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: ${TEXT}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      // Closing with unread input would reset the connection and lose the answer: read on
      // (and drop) until the client closes, for a bounded time.
      setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
    } catch {
      socket.destroy();
    }
  });
  server.on('error', (err) => opts.log.error({ err: String(err) }, 'HTTP server error'));
  return server;
}

/** Creates the server and listens on address:port. */
export async function startComponentServer(opts: HttpServerOptions & { port: number; address: string }): Promise<RunningHttpServer> {
  const server = createComponentServer(opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Streams (followed logs) and idle keep-alive connections never end on their own.
      server.closeAllConnections();
    }),
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, opts: HttpServerOptions, maxBodyBytes: number): Promise<void> {
  const method = req.method ?? 'GET';
  // An absolute-form target (`GET http://host/healthz`) routes by its path, as in Go.
  const url = (req.url ?? '/').replace(/^https?:\/\/[^/?#]*/i, '') || '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);

  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > maxBodyBytes) {
    // Not a byte of it is read: the connection closes after the answer.
    sendText(res, 413, '413 Request Entity Too Large\n', { connection: 'close' });
    return;
  }
  discardBody(req, maxBodyBytes);

  // Go refuses a request whose URL does not parse (`/%zz`) before any handler runs.
  if (!path.startsWith('/') || decodeSegment(path) === undefined) return sendText(res, 400, '400 Bad Request\n', { connection: 'close' });
  const route = matchRoute(opts.routes, path);
  if (!route) return sendText(res, 404, opts.notFound?.(path) ?? '404 page not found\n');
  if (!allows(route, method)) {
    return sendText(res, 405, route.methodNotAllowedText ?? 'Method Not Allowed\n', { allow: allowHeader(route) });
  }
  const rest = route.path.endsWith('/') ? path.slice(route.path.length) : '';
  const segments = rest === '' && !route.path.endsWith('/') ? [] : rest.split('/').map(decodeSegment);
  if (segments.includes(undefined)) return sendText(res, 400, '400 Bad Request\n', { connection: 'close' });
  await route.handler({ req, res, path, segments: segments as string[], query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) });
}

/** Plain text with an explicit length, as Go's http.Error writes it. */
export function sendText(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, {
    'content-type': TEXT, 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body), ...headers,
  });
  res.end(body);
}

function matchRoute(routes: readonly ComponentRoute[], path: string): ComponentRoute | undefined {
  // The longest matching pattern wins, as in ServeMux.
  let best: ComponentRoute | undefined;
  for (const r of routes) {
    const hit = r.path.endsWith('/') ? path.startsWith(r.path) : path === r.path;
    if (hit && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}

function allows(route: ComponentRoute, method: string): boolean {
  return route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'));
}

function allowHeader(route: ComponentRoute): string {
  return [...new Set([...route.methods, ...(route.methods.includes('GET') ? ['HEAD'] : [])])].join(', ');
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * These ports take no bodies: whatever comes is read and dropped, so the connection can be
 * reused, up to the limit; past it (a chunked body without end) the connection is cut.
 */
function discardBody(req: IncomingMessage, maxBodyBytes: number): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBodyBytes) req.socket.destroy();
  });
}

/** The answer to a request Node's parser refused, as Go's server answers such requests. */
function clientErrorAnswer(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, opts: HttpServerOptions): [number, string, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return [431, 'Request Header Fields Too Large', '431 Request Header Fields Too Large\n'];
    case 'ERR_HTTP_REQUEST_TIMEOUT': return [408, 'Request Timeout', '408 Request Timeout\n'];
    case 'HPE_INVALID_METHOD': {
      // Node knows a fixed list of methods; Go takes any token and lets the mux decide.
      const line = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (\/[^\s?]*)\S* HTTP\/1\.[01]\r?\n/.exec(err.rawPacket?.toString('latin1') ?? '');
      const path = line?.[1];
      if (path === undefined) return [400, 'Bad Request', '400 Bad Request\n'];
      const route = matchRoute(opts.routes, path);
      if (!route) return [404, 'Not Found', opts.notFound?.(path) ?? '404 page not found\n'];
      return [405, 'Method Not Allowed', route.methodNotAllowedText ?? 'Method Not Allowed\n'];
    }
    default: return [400, 'Bad Request', '400 Bad Request\n'];
  }
}

function definedOnly(limits: HttpServerLimits): HttpServerLimits {
  return Object.fromEntries(Object.entries({
    headersTimeoutMs: limits.headersTimeoutMs, requestTimeoutMs: limits.requestTimeoutMs, keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderSize, maxBodyBytes: limits.maxBodyBytes,
  }).filter(([, v]) => v !== undefined));
}
