// A tiny in-memory stand-in for the REST wire, enough to exercise pkg/client over real HTTP
// while the real apiserver is written: CRUD with resourceVersion preconditions, merge
// patches, lists, and watches with history and 410 on a compacted resourceVersion.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Obj { metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string }; [k: string]: unknown }
interface Ev { type: string; rv: number; key: string; object: Obj }

export interface FakeApiServer {
  url: string;
  requests: { method: string; url: string; contentType?: string; body?: unknown }[];
  /** Forgets history up to now: watches from an older RV get 410. */
  compact(): void;
  /** Holds new watch requests unanswered until resumeWatches(), as a server that is down. */
  pauseWatches(): void;
  resumeWatches(): void;
  /** Ends every open watch stream, as an apiserver restart would. */
  closeWatches(): void;
  close(): Promise<void>;
}

const PATH = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/;

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const objects = new Map<string, Obj>();
  const history: Ev[] = [];
  let rv = 100;
  let compactedRv = 0;
  const watchers = new Set<{ res: ServerResponse; prefix: string }>();
  const requests: FakeApiServer['requests'] = [];
  let held: (() => void)[] | undefined;

  const status = (res: ServerResponse, code: number, reason: string, message: string) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, details: { name: 'x' } }));
  };
  const send = (res: ServerResponse, code: number, obj: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const record = (type: string, key: string, object: Obj) => {
    const ev = { type, rv, key, object };
    history.push(ev);
    for (const w of watchers) if (key.startsWith(w.prefix)) w.res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) as Obj : undefined;
      requests.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}), ...(body ? { body } : {}) });
      route(req, url, body, res);
    });
  });

  function route(req: IncomingMessage, url: URL, body: Obj | undefined, res: ServerResponse): void {
      const m = PATH.exec(url.pathname);
      if (!m) { status(res, 404, 'NotFound', 'the server could not find the requested resource'); return; }
      const [, ns = '', plural = '', name, sub] = m;
      const prefix = `${plural}/${ns ? `${ns}/` : ''}`;
      const key = `${prefix}${name ?? ''}`;
      const existing = objects.get(key);
      const notFound = () => status(res, 404, 'NotFound', `${plural} "${name ?? ''}" not found`);
      switch (req.method) {
        case 'GET': {
          if (name && sub === undefined) { if (existing) send(res, 200, existing); else notFound(); return; }
          if (url.searchParams.get('watch') === 'true') {
            if (held) { held.push(() => route(req, url, body, res)); return; }
            const from = Number(url.searchParams.get('resourceVersion') || rv);
            res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
            if (from < compactedRv) {
              res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${from} (${compactedRv})` } })}\n`);
              return;
            }
            for (const ev of history) if (ev.rv > from && ev.key.startsWith(prefix)) res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
            const w = { res, prefix };
            watchers.add(w);
            res.on('close', () => watchers.delete(w));
            return;
          }
          const listRv = url.searchParams.get('resourceVersion');
          if (listRv && listRv !== '0' && Number(listRv) < compactedRv) { status(res, 410, 'Expired', `too old resource version: ${listRv} (${compactedRv})`); return; }
          const items = [...objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => o);
          send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
          return;
        }
        case 'POST': {
          if (!body) { status(res, 400, 'BadRequest', 'no body'); return; }
          const k = `${prefix}${body.metadata.name}`;
          if (objects.has(k)) { status(res, 409, 'AlreadyExists', `${plural} "${body.metadata.name}" already exists`); return; }
          rv++;
          const created = { ...body, metadata: { ...body.metadata, ...(ns ? { namespace: ns } : {}), uid: `uid-${rv}`, resourceVersion: String(rv) } };
          objects.set(k, created);
          record('ADDED', k, created);
          send(res, 201, created);
          return;
        }
        case 'PUT':
        case 'PATCH': {
          if (!existing || !body) { notFound(); return; }
          const want = body.metadata?.resourceVersion;
          if (req.method === 'PUT' && want && want !== existing.metadata.resourceVersion) {
            status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${plural} "${name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`);
            return;
          }
          rv++;
          const merged = req.method === 'PUT' ? body : { ...existing, ...body };
          const updated = { ...merged, metadata: { ...existing.metadata, ...(body.metadata ?? {}), resourceVersion: String(rv) } };
          objects.set(key, updated);
          record('MODIFIED', key, updated);
          send(res, 200, updated);
          return;
        }
        case 'DELETE': {
          if (!existing) { notFound(); return; }
          rv++;
          objects.delete(key);
          const gone = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } };
          record('DELETED', key, gone);
          send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name } });
          return;
        }
        default: status(res, 405, 'MethodNotAllowed', 'method not allowed');
      }
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pauseWatches() { held ??= []; },
    resumeWatches() { const h = held ?? []; held = undefined; for (const f of h) f(); },
    compact() { compactedRv = rv; history.length = 0; },
    closeWatches() { for (const w of watchers) w.res.end(); watchers.clear(); },
    close() {
      for (const w of watchers) w.res.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
