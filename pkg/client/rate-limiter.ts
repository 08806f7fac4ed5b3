// Rate limiters for workqueue retries, as client-go's util/workqueue/default_rate_limiters.go.
import { realClock, type Clock } from './clock.js';

export interface RateLimiter {
  /** How long (ms) to wait before the item may be processed again. Counts a failure. */
  when(item: string): number;
  /** Stops tracking the item: its next failure starts from the base delay. */
  forget(item: string): void;
  numRequeues(item: string): number;
}

/** baseDelay * 2^failures, capped at maxDelay. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  constructor(readonly baseDelayMs: number, readonly maxDelayMs: number) {}

  when(item: string): number {
    const exp = this.#failures.get(item) ?? 0;
    this.#failures.set(item, exp + 1);
    const delay = this.baseDelayMs * 2 ** exp;
    return Number.isFinite(delay) ? Math.min(delay, this.maxDelayMs) : this.maxDelayMs;
  }
  forget(item: string): void { this.#failures.delete(item); }
  numRequeues(item: string): number { return this.#failures.get(item) ?? 0; }
}

/**
 * A token bucket shared by all items (golang.org/x/time/rate reservations): each call takes a
 * token, borrowing from the future when the bucket is empty, and waits until that debt is paid.
 */
export class BucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;
  constructor(readonly qps: number, readonly burst: number, readonly clock: Clock = realClock) {
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }
  forget(): void { /* the bucket is not per item */ }
  numRequeues(): number { return 0; }
}

/** The longest delay any of its limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) { this.#limiters = limiters; }

  when(item: string): number { return Math.max(0, ...this.#limiters.map((l) => l.when(item))); }
  forget(item: string): void { for (const l of this.#limiters) l.forget(item); }
  numRequeues(item: string): number { return Math.max(0, ...this.#limiters.map((l) => l.numRequeues(item))); }
}

/** client-go's DefaultControllerRateLimiter: per-item 5 ms → 1000 s, overall 10 qps with burst 100. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(5, 1000_000),
    new BucketRateLimiter(10, 100, clock),
  );
}
