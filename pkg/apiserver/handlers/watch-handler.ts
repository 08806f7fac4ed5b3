// A watch over HTTP: newline-delimited JSON events on a chunked 200 response, fed by the
// resource's watch cache. Errors after the response started (410 Expired) are ERROR events.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errors, field, isStatusError, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Store, ListQuery } from '../store.js';
import type { CachedEvent, WatchSink } from '../watch-cache.js';
import { toTable } from '../tables.js';
import { TABLE_CONTENT_TYPE, type Encoding } from './response.js';

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
}

/** A slow client that lets this much pile up is cut off, as Kubernetes closes slow watchers. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Kubernetes sends a bookmark to each watcher about once a minute. */
const BOOKMARK_INTERVAL_MS = 60_000;

export function serveWatch(res: ServerResponse, w: WatchRequest, log: Logger, onClose: () => void): void {
  const { store } = w;
  res.writeHead(200, {
    'Content-Type': w.encoding.table ? TABLE_CONTENT_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
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

  const write = (line: string) => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      log.warn({ resource: store.info.plural }, 'closing slow watcher');
      finish();
    }
  };

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
      // Serialised once per event, whatever the number of watchers.
      cached.line ??= `{"type":"${cached.type}","object":${cached.object.json}}\n`;
      write(cached.line);
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
  store.cache.watch(fromRevision, filter, sink, ac.signal, initialEvents).then((subscription) => {
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
