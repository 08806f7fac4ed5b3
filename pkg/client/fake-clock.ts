// A Clock that only moves when a test steps it (client-go's clock/testing FakeClock).
import { sleepOn, type Clock, type TimerHandle } from './clock.js';

interface Waiter { at: number; seq: number; fn: () => void; cancelled: boolean }

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #waiters: Waiter[] = [];

  constructor(start = Date.UTC(2024, 0, 1)) { this.#now = start; }

  now(): number { return this.#now; }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const w: Waiter = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#waiters.push(w);
    return { cancel: () => { w.cancelled = true; } };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> { return sleepOn(this, ms, signal); }

  /** Timers not yet fired or cancelled. */
  hasWaiters(): boolean { return this.#waiters.some((w) => !w.cancelled); }

  /** Moves time forward, firing due timers in order; awaits microtasks between them so chained work runs. */
  async step(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      this.#waiters = this.#waiters.filter((w) => !w.cancelled);
      const next = this.#waiters
        .filter((w) => w.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#waiters.splice(this.#waiters.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
