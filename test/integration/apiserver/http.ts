// Raw HTTP against an apiserver, as a real client sees it: status codes, headers and bodies,
// plus a watch reader that yields one event per line and fails a test instead of hanging.
import { setTimeout as sleep } from 'node:timers/promises';
import { startInProcessApiServer, type InProcessApiServer, type InProcessOptions } from '../../harness/apiserver.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';

export type Obj = Record<string, any>;

export interface Reply { status: number; headers: Headers; body: Obj; text: string }

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding) when a string or Buffer. */
  contentType?: string | null;
  accept?: string;
  headers?: Record<string, string>;
}

export class Api {
  constructor(readonly url: string) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
      // fetch labels a string body text/plain; bytes go out with no Content-Type at all.
      else body = Buffer.from(body);
    }
    if (opts.accept) headers['accept'] = opts.accept;
    const res = await fetch(this.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: Obj = {};
    try { parsed = JSON.parse(text) as Obj; } catch { /* not JSON (metrics, healthz) */ }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get(path: string, opts?: RequestOptions) { return this.request('GET', path, opts); }
  post(path: string, body: unknown, opts?: RequestOptions) { return this.request('POST', path, { ...opts, body }); }
  put(path: string, body: unknown, opts?: RequestOptions) { return this.request('PUT', path, { ...opts, body }); }
  delete(path: string, body?: unknown, opts?: RequestOptions) { return this.request('DELETE', path, { ...opts, ...(body !== undefined ? { body } : {}) }); }
  patch(path: string, type: 'json' | 'merge' | 'strategic', body: unknown) {
    const contentType = { json: 'application/json-patch+json', merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json' }[type];
    return this.request('PATCH', path, { body, contentType });
  }

  /** POST that must succeed; returns the created object. */
  async create(path: string, body: unknown): Promise<Obj> {
    const r = await this.post(path, body);
    if (r.status !== 201) throw new Error(`create ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  watch(path: string): Watch { return new Watch(this.url + path); }
}

export interface WatchEvent { type: string; object: Obj }

/** One watch stream. next() waits at most timeoutMs for the next event; undefined = stream ended. */
export class Watch {
  readonly #ac = new AbortController();
  readonly #events: WatchEvent[] = [];
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  readonly status: Promise<number>;

  constructor(url: string) {
    let resolveStatus!: (s: number) => void;
    this.status = new Promise((r) => { resolveStatus = r; });
    void (async () => {
      try {
        const res = await fetch(url, { signal: this.#ac.signal });
        resolveStatus(res.status);
        if (!res.body) return;
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) { this.#events.push(JSON.parse(line) as WatchEvent); this.#wake?.(); }
          }
        }
        if (buf.trim()) this.#events.push(JSON.parse(buf) as WatchEvent);
      } catch (e) {
        if (!this.#ac.signal.aborted) this.#error = e;
        resolveStatus(0);
      } finally {
        this.#ended = true;
        this.#wake?.();
      }
    })();
  }

  get ended(): boolean { return this.#ended && this.#events.length === 0; }
  get error(): unknown { return this.#error; }

  async next(timeoutMs = 5000): Promise<WatchEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = this.#events.shift();
      if (ev) return ev;
      if (this.#ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, left).unref();
      });
      this.#wake = undefined;
    }
  }

  /** The next event that is not a BOOKMARK. */
  async nextChange(timeoutMs = 5000): Promise<WatchEvent | undefined> {
    for (;;) {
      const ev = await this.next(timeoutMs);
      if (ev?.type !== 'BOOKMARK') return ev;
    }
  }

  /** Asserts nothing (but bookmarks) arrives for a while: used only to show an absence. */
  async quiet(ms: number): Promise<WatchEvent[]> {
    await sleep(ms);
    return this.#events.splice(0).filter((e) => e.type !== 'BOOKMARK');
  }

  close(): void { this.#ac.abort(); }
}

interface TestLike { teardown(fn: () => unknown): void }

/** A fresh in-process apiserver over the test etcd under its own prefix, closed at teardown. */
export async function inProcessServer(t: TestLike, opts: InProcessOptions = {}): Promise<{ api: Api; server: InProcessApiServer; etcd: string; prefix: string }> {
  const etcd = await testEtcd(t);
  const prefix = uniquePrefix('apiserver');
  const server = await startInProcessApiServer(etcd, prefix, opts);
  t.teardown(() => server.close());
  return { api: new Api(server.url), server, etcd, prefix };
}

/** Polls until fn returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const pod = (name: string, extra: Obj = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra['metadata'] },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...extra['spec'] },
});

export const configMap = (name: string, labels?: Record<string, string>, data: Record<string, string> = { a: '1' }): Obj => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data,
});

export const deployment = (name: string, replicas = 1): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: {
    replicas, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } },
  },
});
