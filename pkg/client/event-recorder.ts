// Records core/v1 Events about objects the way client-go's record.EventRecorder does:
// name `<object-name>.<unix-nanos in hex>`, involvedObject pointing at the object, and a
// repeat of the same event (same object, type, reason, message) patched into count+1 rather
// than created again. Fire-and-forget: recording never throws into or blocks the caller.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import { nowRfc3339 } from '../api/meta.js';
import { realClock, type Clock } from './clock.js';
import type { MetaObject } from './indexer.js';
import type { DeepReadonly } from './lister.js';
import type { ResourceClient, RestClient } from './rest-client.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  component: string;
  host?: string;
  clock?: Clock;
  onError?: (err: unknown, event: Event) => void;
}

/** Optional parts of an event beyond client-go's Event(object, type, reason, message). */
export interface EventOptions {
  /**
   * involvedObject.fieldPath: the part of the object the event is about, as kubectl describe
   * shows it, e.g. `spec.containers{app}` for a container's events (ref.GetPartialReference).
   */
  fieldPath?: string;
}

interface Seen { name: string; namespace: string; count: number; firstTimestamp: string }

/** client-go's eventLogger cache holds 4096 entries. */
const MAX_SEEN = 4096;

export class EventRecorder {
  readonly #events: ResourceClient<Event>;
  readonly #opts: EventRecorderOptions;
  readonly #clock: Clock;
  readonly #seen = new Map<string, Seen>();
  #pending: Promise<void> = Promise.resolve();

  constructor(client: RestClient, opts: EventRecorderOptions) {
    this.#events = client.resource('events');
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  event(obj: MetaObject | DeepReadonly<MetaObject>, type: EventType, reason: string, message: string, opts: EventOptions = {}): void {
    const ref = referenceTo(obj);
    if (opts.fieldPath) ref.fieldPath = opts.fieldPath;
    const now = nowRfc3339(new Date(this.#clock.now()));
    const namespace = ref.namespace || 'default';
    // Like client-go's getEventKey, the fieldPath is part of the key: two containers' identical
    // events stay two events.
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, ref.apiVersion, ref.fieldPath ?? '', type, reason, message].join('\u0000');
    const seen = this.#seen.get(key);
    const count = (seen?.count ?? 0) + 1;
    const ev: Event = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: seen?.name ?? `${ref.name ?? ''}.${uniqueNanosHex(this.#clock.now())}`, namespace },
      involvedObject: ref,
      reason, message, type,
      source: { component: this.#opts.component, ...(this.#opts.host ? { host: this.#opts.host } : {}) },
      firstTimestamp: seen?.firstTimestamp ?? now,
      lastTimestamp: now,
      count,
      reportingComponent: this.#opts.component,
      reportingInstance: this.#opts.host ?? '',
    };
    this.#remember(key, { name: ev.metadata.name ?? '', namespace, count, firstTimestamp: ev.firstTimestamp ?? now });
    // One write at a time, in order, so count only grows on the server.
    this.#pending = this.#pending.then(() => this.#write(ev, seen !== undefined));
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> { return this.#pending; }

  async #write(ev: Event, isRepeat: boolean): Promise<void> {
    const ns = ev.metadata.namespace ?? 'default';
    try {
      if (isRepeat) {
        try {
          await this.#events.patch(ns, ev.metadata.name ?? '', 'strategic', {
            count: ev.count, lastTimestamp: ev.lastTimestamp, message: ev.message,
          });
          return;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          // Someone deleted it (or it expired): start over with a fresh event.
        }
      }
      await this.#events.create(ns, ev);
    } catch (e) {
      this.#opts.onError?.(e, ev);
    }
  }

  #remember(key: string, seen: Seen): void {
    this.#seen.delete(key);
    this.#seen.set(key, seen);
    if (this.#seen.size > MAX_SEEN) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

/** An ObjectReference to obj (client-go reference.GetReference). */
export function referenceTo(obj: MetaObject | DeepReadonly<MetaObject>): ObjectReference {
  const m = obj.metadata;
  return {
    ...(obj.kind ? { kind: obj.kind } : {}),
    ...(m?.namespace ? { namespace: m.namespace } : {}),
    ...(m?.name ? { name: m.name } : {}),
    ...(m?.uid ? { uid: m.uid } : {}),
    ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
    ...(m?.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
  };
}

let lastNanos = 0n;
/** t.UnixNano() in hex, made strictly increasing so two events in one millisecond differ. */
function uniqueNanosHex(nowMs: number): string {
  let nanos = BigInt(Math.floor(nowMs)) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return nanos.toString(16);
}
