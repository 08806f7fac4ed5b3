// The HTTP GET shared by httpGet probes and httpGet lifecycle hooks (pkg/probe/http): no
// keep-alive, no proxy, TLS unverified, same-host redirects followed (at most 10) and
// off-host ones returned as they are. Errors read like Go's *url.Error, because the
// kubelet puts err.Error() into events: `Get "http://10.0.0.5:80/": dial tcp ...`.
import http from 'node:http';
import https from 'node:https';
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { resolvePort } from './resolve-port.js';

/** pkg/probe/http maxRespBodyLength. */
const MAX_RESP_BODY_LENGTH = 10 * 1024;
const MAX_REDIRECTS = 10;
export const KUBE_MINOR_VERSION = '1.32';

export interface HttpGetRequest {
  url: URL;
  /** The URL as Go prints it (no "/" added to an empty path), for error messages. */
  display: string;
  headers: Record<string, string | string[]>;
}

export interface HttpGetResponse {
  statusCode: number;
  body: string;
}

/** Go's *url.Error text. */
export class HttpGetError extends Error {
  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(`Get ${JSON.stringify(url)}: ${reason}`, options);
    this.name = 'HttpGetError';
  }
}

/**
 * The request an HTTPGetAction describes (probe.NewRequestForHTTPGetAction): host defaults
 * to the pod IP, the port may be named, the path may carry a query, and user headers replace
 * the default User-Agent and Accept. `userAgentFor` is "probe" or "lifecycle".
 */
export function requestForHttpGetAction(action: HTTPGetAction, container: Pick<Container, 'ports'>, podIP: string, userAgentFor: 'probe' | 'lifecycle'): HttpGetRequest {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = action.host || podIP;
  // An empty named port means 80 for hooks, as upstream's handler does.
  const port = action.port === '' ? 80 : resolvePort(action.port, container);
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const path = action.path ?? '';
  const display = `${scheme}://${hostPort}${path}`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${hostPort}${path.startsWith('/') || path === '' ? path : `/${path}`}`);
  } catch {
    url = new URL(`${scheme}://${hostPort}/`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const h of action.httpHeaders ?? []) {
    const name = canonicalHeaderKey(h.name);
    const prev = headers[name];
    headers[name] = prev === undefined ? h.value : [...(Array.isArray(prev) ? prev : [prev]), h.value];
  }
  headers['User-Agent'] ??= `kube-${userAgentFor}/${KUBE_MINOR_VERSION}`;
  headers['Accept'] ??= '*/*';
  return { url, display, headers };
}

/** Performs the GET within timeoutMs (connect, headers and body). */
export async function httpGet(req: HttpGetRequest, timeoutMs: number, opts: { followNonLocalRedirects?: boolean } = {}): Promise<HttpGetResponse> {
  const deadline = AbortSignal.timeout(Math.max(1, timeoutMs));
  const first = req.url;
  let url = req.url;
  let display = req.display;
  for (let redirects = 0; ; redirects++) {
    const res = await getOnce(url, display, req.headers, deadline);
    const location = res.location;
    if (res.statusCode < 300 || res.statusCode >= 400 || location === undefined) return res;
    let next: URL;
    try { next = new URL(location, url); } catch { return res; }
    // Go's http.ErrUseLastResponse: the 3xx itself is the answer.
    if (!opts.followNonLocalRedirects && next.hostname !== first.hostname) return res;
    if (redirects + 1 >= MAX_REDIRECTS) throw new HttpGetError(next.toString(), `stopped after ${MAX_REDIRECTS} redirects`);
    url = next;
    display = next.toString();
  }
}

function getOnce(url: URL, display: string, headers: Record<string, string | string[]>, signal: AbortSignal): Promise<HttpGetResponse & { location?: string }> {
  return new Promise((resolve, reject) => {
    let gotHeaders = false;
    const { Host: hostHeader, ...rest } = headers;
    const mod = url.protocol === 'https:' ? https : http;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const addr = { hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
    const req = mod.request({
      hostname,
      port: addr.port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false,
      // Go's client takes bare-LF answers (busybox httpd CGI sends them); Node's strict parser does not.
      insecureHTTPParser: true,
      headers: { ...rest, Connection: 'close', ...(hostHeader !== undefined ? { Host: Array.isArray(hostHeader) ? hostHeader[0] ?? '' : hostHeader } : {}) },
      signal,
      ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
    }, (res) => {
      gotHeaders = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size >= MAX_RESP_BODY_LENGTH) return;
        chunks.push(c);
        size += c.length;
        // Enough read: like upstream's ReadAtMost, a longer body is cut, not an error.
        if (size >= MAX_RESP_BODY_LENGTH) res.destroy();
      });
      const done = () => resolve({
        statusCode: res.statusCode ?? 0,
        body: Buffer.concat(chunks).subarray(0, MAX_RESP_BODY_LENGTH).toString(),
        ...(res.headers.location !== undefined ? { location: res.headers.location } : {}),
      });
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => {
        if (size >= MAX_RESP_BODY_LENGTH) done();
        else reject(new HttpGetError(display, signal.aborted ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)' : goNetError(err, addr)));
      });
    });
    req.on('error', (err) => {
      if (signal.aborted) {
        reject(new HttpGetError(display, gotHeaders
          ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)'
          : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'));
      } else {
        reject(new HttpGetError(display, goNetError(err, addr), { cause: err }));
      }
    });
    req.end();
  });
}

/** A Node socket error as Go's net package words it. */
export function goNetError(err: unknown, url: { hostname: string; port: string; protocol?: string }, op = 'dial tcp'): string {
  const e = err as NodeJS.ErrnoException;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addr = hostname.includes(':') ? `[${hostname}]:${url.port}` : `${hostname}:${url.port}`;
  switch (e.code) {
    case 'ECONNREFUSED': return `${op} ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH': return `${op} ${addr}: connect: no route to host`;
    case 'ENETUNREACH': return `${op} ${addr}: connect: network is unreachable`;
    case 'ETIMEDOUT': return `${op} ${addr}: i/o timeout`;
    case 'ECONNRESET': return `read tcp ${addr}: read: connection reset by peer`;
    case 'ENOTFOUND': return `${op}: lookup ${hostname}: no such host`;
    case 'EPROTO': return 'http: server gave HTTP response to HTTPS client';
    default:
      if (e.code === 'HPE_INVALID_CONSTANT' || e.code?.startsWith('HPE_')) return `net/http: HTTP/1.x transport connection broken: malformed HTTP response`;
      return e.message ?? String(err);
  }
}


function canonicalHeaderKey(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
