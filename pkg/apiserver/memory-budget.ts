// Bounds the memory that requests of one sort hold at once: list responses being built and sent
// (a 10,000-pod list is ~15 MB of JSON, and more again in etcd's messages and garbage, so fifty
// clients listing at once would take the apiserver to gigabytes), and large request bodies
// being decoded and checked (a 3 MiB body of 200,000 small keys becomes ~150 MB of objects and
// a second or more of the one JavaScript thread). Each request reserves its estimated size
// first; past the budget it waits its turn (first come, first served) and, after maxWaitMs, is
// refused with 429 and a Retry-After, as upstream refuses what priority and fairness cannot
// queue. The reservation ends when the response has been sent or the client has gone.
import type { ServerResponse } from 'node:http';
import { errors } from '../api/errors.js';
import { realClock, type Clock, type TimerHandle } from '../client/clock.js';

export const DEFAULT_WAIT_MS = 15_000;

interface Waiter { bytes: number; grant: () => void; timer: TimerHandle }

export class MemoryBudget {
  readonly #limitBytes: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;
  #inUse = 0;
  readonly #waiters: Waiter[] = [];

  constructor(opts: { limitBytes: number; maxWaitMs?: number; clock?: Clock }) {
    this.#limitBytes = opts.limitBytes;
    this.#maxWaitMs = opts.maxWaitMs ?? DEFAULT_WAIT_MS;
    this.#clock = opts.clock ?? realClock;
  }

  get inUseBytes(): number { return this.#inUse; }
  get waiting(): number { return this.#waiters.length; }

  /**
   * Reserves `estimatedBytes` (a request bigger than the whole budget reserves all of it, and
   * so runs alone); resolves to the function that gives it back, which may be called more than once.
   */
  async reserve(estimatedBytes: number): Promise<() => void> {
    const bytes = Math.max(0, Math.min(estimatedBytes, this.#limitBytes));
    if (this.#waiters.length === 0 && this.#inUse + bytes <= this.#limitBytes) return this.#take(bytes);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => resolve(this.#take(bytes)),
        timer: this.#clock.setTimer(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(errors.tooManyRequests('Too many requests, please try again later.', 1));
          this.#grantWaiting();
        }, this.#maxWaitMs),
      };
      this.#waiters.push(waiter);
    });
  }

  #take(bytes: number): () => void {
    this.#inUse += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= bytes;
      this.#grantWaiting();
    };
  }

  #grantWaiting(): void {
    while (this.#waiters.length > 0 && this.#inUse + this.#waiters[0]!.bytes <= this.#limitBytes) {
      const next = this.#waiters.shift()!;
      next.timer.cancel();
      next.grant();
    }
  }
}

/**
 * Reserves `bytes` for the time `res` is open: given back when the response has been sent or
 * the client has gone, including a client that went away while the reservation waited.
 */
export async function reserveWhileOpen(budget: MemoryBudget, bytes: number, res: ServerResponse): Promise<void> {
  let closed = false;
  const onClose = () => { closed = true; };
  res.once('close', onClose);
  let release: () => void;
  try {
    release = await budget.reserve(bytes);
  } finally {
    res.off('close', onClose);
  }
  if (closed) release();
  else res.once('close', release);
}
