// A watch over HTTP: newline-delimited JSON events on a chunked 200 response, fed by the
// resource's watch cache. Errors after the response started (410 Expired) are ERROR events.
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { errors, field, isStatusError, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Store, ListQuery } from '../store.js';
import type { CachedEvent, WatchSink } from '../watch-cache.js';
import { toTable } from '../tables.js';
import { statusHeaders, TABLE_CONTENT_TYPE, toStatus, type Encoding } from './response.js';

export interface WatchRequest {
  store: Store;
  namespace: string | undefined;
  query: ListQuery;
  timeoutSeconds: number | undefined;
  allowBookmarks: boolean;
  /** Unset when the client did not send it. */
  sendInitialEvents: boolean | undefined;
  bookmarkIntervalMs?: number | undefined;
  shutdown?: AbortSignal | undefined;
  encoding: Encoding;
  includeObject?: 'None' | 'Metadata' | 'Object' | undefined;
  /** How much may wait unsent for this client before it is cut off (default 16 MiB). */
  maxBufferedBytes?: number | undefined;
}

/**
 * A client that lets this much pile up unsent is cut off, as Kubernetes' cacher terminates a
 * watcher that stops taking its events; it re-watches from its last resourceVersion. A client
 * that reads slowly but keeps up on average never gets near it.
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** How long a cut-off watcher has to take what was written before its connection is dropped. */
const STALLED_WATCHER_GRACE_MS = 30_000;
/** Kubernetes sends a bookmark to each watcher about once a minute. */
const BOOKMARK_INTERVAL_MS = 60_000;

/**
 * A watch line as one HTTP/1.1 chunk: its size in hex, CRLF, the line, CRLF. Allocated on its
 * own, not from Node's shared pool: the watch cache's window keeps it, and a small slice of the
 * pool would keep the whole 8 KB slab alive with it.
 */
export function watchChunk(line: string): Buffer {
  const size = Buffer.byteLength(line);
  const head = `${size.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafeSlow(head.length + size + 2);
  chunk.write(head, 0, 'latin1');
  chunk.write(line, head.length, 'utf8');
  chunk.write('\r\n', head.length + size, 'latin1');
  return chunk;
}

/** The line inside a chunk from watchChunk. */
function lineIn(chunk: Buffer): Buffer {
  return chunk.subarray(chunk.indexOf('\r\n') + 2, chunk.length - 2);
}

/**
 * Watch sockets written to and not yet flushed. Like res.write, the first write in a tick corks
 * the socket and a nextTick uncorks it; but when that tick wrote to many sockets (a fan-out),
 * the uncork waits for setImmediate: it then runs once the etcd responses that arrived together
 * have all been fanned out, so a watcher that got several events (a burst, or a backlog while
 * the loop was busy writing) gets them in one syscall rather than one each, and the syscall is
 * most of what a delivery costs. An event that arrives alone waits for nothing but the rest of
 * its loop turn's I/O callbacks. A small fan-out keeps the immediate flush: there, batching would
 * save little, and watches on other connections keep the timing they always had.
 */
const corked: Socket[] = [];
/** How many sockets one tick must have written to for their flush to wait for setImmediate. */
const BATCH_FROM_SOCKETS = 64;
let flushPending = false;
function uncorkAll(): void {
  flushPending = false;
  for (const socket of corked) socket.uncork();
  corked.length = 0;
}
function flushSoon(): void {
  if (corked.length >= BATCH_FROM_SOCKETS) setImmediate(uncorkAll);
  else uncorkAll();
}

export function serveWatch(res: ServerResponse, w: WatchRequest, log: Logger, onClose: () => void): void {
  const { store } = w;
  const ac = new AbortController();
  let closed = false;
  let stop: (() => void) | undefined;
  let firstTable = true;
  const timers: NodeJS.Timeout[] = [];

  const finish = () => {
    if (closed) return;
    closed = true;
    ac.abort();
    stop?.();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
    onClose();
  };
  res.on('close', finish);
  if (w.shutdown?.aborted) { finish(); return; }
  w.shutdown?.addEventListener('abort', finish, { once: true });
  res.once('close', () => w.shutdown?.removeEventListener('abort', finish));

  // Each event goes out as a chunk encoded once for every watcher (see watchChunk), written
  // straight to the socket: res.write would re-encode it and frame it with three more writes,
  // for each of a thousand watchers. Node would have framed the same way (the response is
  // chunked unless the client spoke HTTP/1.0, which gets the bare line). Until a socket is
  // assigned (a pipelined request) res buffers, and writes go through it.
  const writeChunk = (chunk: Buffer) => {
    if (closed) return;
    const socket = res.socket;
    if (socket instanceof Socket) {
      if (!socket.writableCorked) {
        socket.cork();
        corked.push(socket);
        if (!flushPending) { flushPending = true; process.nextTick(flushSoon); }
      }
      socket.write(res.chunkedEncoding ? chunk : lineIn(chunk));
    } else {
      res.write(lineIn(chunk));
    }
    // A response's writableLength counts its socket's buffer too, where these writes go.
    const buffered = res.writableLength;
    if (buffered > (w.maxBufferedBytes ?? MAX_BUFFERED_BYTES)) {
      log.warn({ resource: store.info.plural, bufferedBytes: buffered }, 'closing a watcher that does not read its events');
      // The stream ends after the whole events already written, so a client that was only
      // slow reads a clean end and re-watches; one that never reads loses its connection.
      const socket = res.socket;
      setTimeout(() => { if (!res.writableFinished) socket?.destroy(); }, STALLED_WATCHER_GRACE_MS).unref();
      finish();
    }
  };
  const write = (line: string) => writeChunk(watchChunk(line));

  const tableLine = (type: string, object: KubeObject): string => {
    const table = toTable(store.info, [object], { noHeaders: !firstTable, includeObject: w.includeObject ?? 'Metadata' });
    firstTable = false;
    return `${JSON.stringify({ type, object: table })}\n`;
  };

  const bookmark = (revision: number, annotations?: Record<string, string>) => {
    const object = { kind: store.info.kind, apiVersion: store.apiVersion, metadata: { resourceVersion: String(revision), ...(annotations ? { annotations } : {}) } };
    write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  };

  const sink: WatchSink = {
    send(ev) {
      if (ev.type === 'BOOKMARK') { if (w.allowBookmarks) bookmark(ev.revision); return; }
      const cached = ev as CachedEvent;
      if (w.encoding.table) { write(tableLine(cached.type, JSON.parse(cached.object.json) as KubeObject)); return; }
      // Serialised and encoded once per event, whatever the number of watchers.
      cached.chunk ??= watchChunk(`{"type":"${cached.type}","object":${cached.object.json}}\n`);
      writeChunk(cached.chunk);
    },
    close(err) {
      if (err && isStatusError(err)) write(`${JSON.stringify({ type: 'ERROR', object: err.status })}\n`);
      finish();
    },
  };

  // Without timeoutSeconds Kubernetes ends a watch after 30-60 minutes; clients re-watch.
  const timeoutMs = (w.timeoutSeconds ?? 1800 * (1 + Math.random())) * 1000;
  timers.push(setTimeout(finish, timeoutMs));

  const fromRevision = Number(w.query.resourceVersion || 0);
  // sendInitialEvents (watch-list) sends the state at least as new as resourceVersion first;
  // without it, an unset or zero resourceVersion does the same, as Kubernetes always has.
  const initialEvents = w.sendInitialEvents ?? fromRevision === 0;
  const filter = store.filterFor(w.namespace, w.query);
  const subscribe = () => store.cache.watch(fromRevision, filter, sink, ac.signal, initialEvents).then((subscription) => {
    stop = subscription.stop;
    if (closed) { subscription.stop(); return; }
    if (w.sendInitialEvents && w.allowBookmarks) bookmark(subscription.revision(), { 'k8s.io/initial-events-end': 'true' });
    if (w.allowBookmarks) {
      const intervalMs = w.bookmarkIntervalMs ?? BOOKMARK_INTERVAL_MS;
      const tick = () => { bookmark(subscription.revision()); timers.push(setTimeout(tick, intervalMs).unref()); };
      timers.push(setTimeout(tick, intervalMs).unref());
    }
  }, (err: unknown) => {
    if (isStatusError(err)) write(`${JSON.stringify({ type: 'ERROR', object: err.status })}\n`);
    else log.error({ err: String(err), resource: store.info.plural }, 'watch failed');
    finish();
  });

  // As upstream's cacher, a watch is answered 200 only once the resource's cache holds its
  // list: a cache that cannot load (etcd unreachable) refuses with 429, so the client retries
  // rather than holding a stream that never started. Later errors are ERROR events.
  store.cache.ready().then(() => {
    if (closed) return;
    res.writeHead(200, {
      'Content-Type': w.encoding.table ? TABLE_CONTENT_TYPE : 'application/json',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    void subscribe();
  }, (err: unknown) => {
    if (closed) return;
    const status = toStatus(err);
    res.writeHead(status.code, statusHeaders(status));
    res.end(JSON.stringify(status.status));
    finish();
  });
}

/** Kubernetes' ListOptions validation for watches (apimachinery validateWatchOptions). */
export function validateWatchOptions(q: ListQuery, sendInitialEvents: boolean | undefined): void {
  const errs: FieldError[] = [];
  const match = q.resourceVersionMatch;
  if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    errs.push(field.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  }
  if (match) {
    if (sendInitialEvents === undefined) errs.push(field.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') errs.push(field.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
  }
  if (q.resourceVersion && !/^\d+$/.test(q.resourceVersion)) throw errors.badRequest(`invalid resource version: ${q.resourceVersion}`);
  if (errs.length) throw errors.invalid('meta.k8s.io', 'ListOptions', '', errs);
}
