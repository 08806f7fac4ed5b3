// The watch wire: one JSON event per line (`{"type":"ADDED","object":{...}}`), as
// apimachinery's watch/json streams it. An ERROR event carrying a 410 Status means the
// requested resourceVersion is gone; it is thrown as a StatusError so callers relist.
import type { Status } from 'kubernetes-types/meta/v1.js';
import { StatusError, type StatusReason } from '../api/errors.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> { type: WatchEventType; object: T }

const TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Decodes a newline-delimited JSON watch body. Ends when the source ends. */
export async function* decodeWatchEvents<T>(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<WatchEvent<T>> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of source) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const ev = parseLine<T>(line);
      if (ev) yield ev;
    }
  }
  buffered += decoder.decode();
  const ev = parseLine<T>(buffered);
  if (ev) yield ev;
}

function parseLine<T>(line: string): WatchEvent<T> | undefined {
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new StatusError(500, 'InternalError', `unable to decode watch event: ${line.slice(0, 200)}`);
  }
  const ev = parsed as { type?: unknown; object?: unknown };
  if (typeof ev.type !== 'string' || !TYPES.has(ev.type) || typeof ev.object !== 'object' || ev.object === null) {
    throw new StatusError(500, 'InternalError', `unexpected watch event: ${line.slice(0, 200)}`);
  }
  if (ev.type === 'ERROR' && isStatus(ev.object) && ev.object.code === 410) throw statusErrorFrom(ev.object, 410);
  return { type: ev.type as WatchEventType, object: ev.object as T };
}

export function isStatus(obj: unknown): obj is Status {
  return typeof obj === 'object' && obj !== null && (obj as { kind?: unknown }).kind === 'Status';
}

/** A StatusError carrying the server's Status as sent (code, reason, message, details). */
export function statusErrorFrom(status: Status, fallbackCode: number): StatusError {
  const code = status.code ?? fallbackCode;
  const err = new StatusError(code, (status.reason ?? reasonForCode(code)) as StatusReason, status.message ?? '', status.details);
  return err;
}

/** What apimachinery assumes when a non-Status error body arrives (errors.NewGenericServerResponse). */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 406: return 'NotAcceptable';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'InternalError';
  }
}
