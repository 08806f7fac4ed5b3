// The kubelet's per-container restart (and image pull) back-off: client-go flowcontrol.Backoff
// as kubelet.go configures it (10 s doubling to 5 min). An entry is forgotten when the event
// it is asked about comes more than 2 × max after its last update, so a container that ran
// 10 minutes before crashing starts over at 10 s.
import { realClock, type Clock } from '../client/clock.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry { backoffMs: number; lastUpdateMs: number }

export interface BackoffOptions { initialMs?: number; maxMs?: number; clock?: Clock }

export class Backoff {
  readonly #entries = new Map<string, Entry>();
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #clock: Clock;

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = opts.initialMs ?? BACKOFF_INITIAL_MS;
    this.#maxMs = opts.maxMs ?? BACKOFF_MAX_MS;
    this.#clock = opts.clock ?? realClock;
  }

  /** The current back-off of key in ms (0 when unknown). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Records one more failure at eventTimeMs: first 10 s, then doubled up to max. */
  next(key: string, eventTimeMs: number): void {
    const entry = this.#entries.get(key);
    const now = this.#clock.now();
    if (!entry || this.#hasExpired(eventTimeMs, entry.lastUpdateMs)) {
      this.#entries.set(key, { backoffMs: this.#initialMs, lastUpdateMs: now });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#maxMs);
    entry.lastUpdateMs = now;
  }

  /** True while less than the back-off has passed since eventTimeMs. */
  isInBackOffSince(key: string, eventTimeMs: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#hasExpired(eventTimeMs, entry.lastUpdateMs)) return false;
    return this.#clock.now() - eventTimeMs < entry.backoffMs;
  }

  /** When the back-off that started at eventTimeMs ends (ms since epoch). */
  backOffEndsAt(key: string, eventTimeMs: number): number {
    return eventTimeMs + this.get(key);
  }

  /** Forgets every key starting with prefix (a pod's keys when it goes away). */
  forgetPrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  /** Drops entries idle for more than 2 × max (flowcontrol's GC). */
  gc(): void {
    const now = this.#clock.now();
    for (const [key, e] of this.#entries) if (this.#hasExpired(now, e.lastUpdateMs)) this.#entries.delete(key);
  }

  #hasExpired(eventTimeMs: number, lastUpdateMs: number): boolean {
    return eventTimeMs - lastUpdateMs > this.#maxMs * 2;
  }
}

/** Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
