// A thin Docker Engine API client on undici over the unix socket. It knows HTTP and Docker's
// error bodies and nothing about pods; DockerRuntime maps its errors to runtime errors.
import { Agent } from 'undici';
import type { Duplex, Readable } from 'node:stream';

export const DOCKER_API_VERSION = 'v1.41';
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export class DockerApiError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export type QueryValue = string | number | boolean | undefined;

export interface DockerRequest {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** Time to the response headers (e.g. a stop waits for the grace period first). */
  headersTimeoutMs?: number;
}

export class DockerClient {
  readonly #agent: Agent;

  constructor(socketPath = DEFAULT_DOCKER_SOCKET) {
    this.#agent = new Agent({ connect: { socketPath }, keepAliveTimeout: 10_000 });
  }

  /** A JSON call; resolves undefined for empty answers (204, 304). */
  async call<T>(req: DockerRequest): Promise<T> {
    const body = await this.stream(req);
    const text = await readAll(body);
    return (text.length === 0 ? undefined : JSON.parse(text.toString('utf8'))) as T;
  }

  /** The response body as a stream; the caller must consume or destroy it. */
  async stream(req: DockerRequest): Promise<Readable> {
    const res = await this.#agent.request({
      origin: 'http://docker',
      path: apiPath(req.path, req.query),
      method: req.method ?? 'GET',
      headers: req.body === undefined ? {} : { 'content-type': 'application/json' },
      body: req.body === undefined ? null : JSON.stringify(req.body),
      signal: req.signal ?? null,
      headersTimeout: req.headersTimeoutMs ?? 60_000,
      // Followed logs and long execs are silent for as long as they like.
      bodyTimeout: 0,
    });
    if (res.statusCode >= 400) throw await apiError(res.statusCode, res.body);
    return res.body;
  }

  /**
   * A hijacked connection (`Upgrade: tcp`), for streams that need stdin: Docker reads the
   * rest of the socket as the process's stdin and treats our half-close as its EOF.
   */
  async hijack(req: DockerRequest): Promise<Duplex> {
    // undici's upgrade() forwards unknown options to dispatch(), body included.
    const opts = {
      origin: 'http://docker',
      path: apiPath(req.path, req.query),
      method: req.method ?? 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req.body ?? {}),
      protocol: 'tcp',
      signal: req.signal ?? null,
    };
    const { socket } = await this.#agent.upgrade(opts);
    return socket;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function apiPath(path: string, query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return `/${DOCKER_API_VERSION}${path}${qs ? `?${qs}` : ''}`;
}

async function apiError(statusCode: number, body: Readable): Promise<DockerApiError> {
  const text = (await readAll(body)).toString('utf8');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (a proxy or an old daemon): keep the raw text.
  }
  return new DockerApiError(statusCode, message || `HTTP ${statusCode}`);
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
