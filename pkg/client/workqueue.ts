// The controller work queue with client-go's guarantees (util/workqueue queue.go,
// delaying_queue.go, rate_limiting_queue.go):
// - a key is queued at most once ("stingy": adding a queued key is a no-op);
// - a key being processed is never handed out again until done(); if it was added meanwhile,
//   done() puts it back, so no key is processed by two workers at once;
// - after shutDown, get() drains what is queued and then returns undefined.
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions { clock?: Clock; rateLimiter?: RateLimiter; name?: string }

export class WorkQueue {
  readonly name: string;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { readyAt: number; timer: TimerHandle }>();
  #getters: ((key: string | undefined) => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? '';
    this.#clock = opts.clock ?? realClock;
    this.#rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.#clock);
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // re-queued by done()
    this.#push(key);
  }

  /** Adds the key after delayMs; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) { this.add(key); return; }
    const readyAt = this.#clock.now() + delayMs;
    const existing = this.#waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.timer.cancel();
    const timer = this.#clock.setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.#waiting.set(key, { readyAt, timer });
  }

  addRateLimited(key: string): void { this.addAfter(key, this.#rateLimiter.when(key)); }
  forget(key: string): void { this.#rateLimiter.forget(key); }
  numRequeues(key: string): number { return this.#rateLimiter.numRequeues(key); }

  /** The next key to process, or undefined once shut down and drained. Call done(key) after. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
    else if (this.#processing.size === 0) this.#notifyDrained();
  }

  len(): number { return this.#queue.length; }
  isShuttingDown(): boolean { return this.#shuttingDown; }

  /** Stops accepting keys; waiting get() calls return undefined; queued keys still drain. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) timer.cancel();
    this.#waiting.clear();
    const getters = this.#getters;
    this.#getters = [];
    for (const g of getters) g(undefined);
  }

  /** shutDown, then resolve once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) getter(this.#take(key));
    else this.#queue.push(key);
  }

  #take(key: string): string {
    this.#processing.add(key);
    this.#dirty.delete(key);
    return key;
  }

  #notifyDrained(): void {
    if (this.#queue.length > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
}
