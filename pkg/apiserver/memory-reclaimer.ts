// Gives the memory of big list responses back soon after they are sent.
//
// A 10,000-pod list leaves some 80 MB of dead buffers and strings behind (etcd's gRPC
// messages, the pages, the response). V8 collects them only at its next full GC, and an
// apiserver that goes quiet after a few big lists may not run one for a long time, so its
// RSS stays at the peak. Go's runtime, which Kubernetes' apiserver runs on, collects after
// the heap grows and returns freed memory to the OS in the background; Node does neither
// for an idle process. One full GC shortly after a big response does what Go would have
// done, at the price of one pause of a few tens of milliseconds once the big responses stop.

import { realClock, type Clock, type TimerHandle } from '../client/clock.js';

/** Responses at least this big leave enough garbage to be worth a full GC. */
export const BIG_RESPONSE_BYTES = 8 * 1024 * 1024;
/** The GC waits until no big response has been sent for this long: a busy server collects by itself. */
export const QUIET_MS = 1000;

/**
 * V8's full GC where the process was started with --expose-gc (the launcher, the test harness
 * and the image pass it: COMPONENT_NODE_FLAGS), else undefined and nothing is reclaimed early.
 * Setting the flag at run time instead (v8.setFlagsFromString) is documented as able to crash.
 */
function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : undefined;
}

/** Real time, with timers that do not keep the process alive. */
const unrefClock: Clock = {
  ...realClock,
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export class MemoryReclaimer {
  readonly #gc: (() => void) | undefined;
  readonly #quietMs: number;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;

  constructor(opts: { gc?: () => void; quietMs?: number; clock?: Clock } = {}) {
    this.#gc = opts.gc ?? exposedGc();
    this.#quietMs = opts.quietMs ?? QUIET_MS;
    this.#clock = opts.clock ?? unrefClock;
  }

  /** A response of this many bytes has been sent: if it was big, a full GC once things go quiet. */
  responseSent(bytes: number): void {
    if (bytes < BIG_RESPONSE_BYTES || !this.#gc) return;
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#gc!();
    }, this.#quietMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

export const memoryReclaimer = new MemoryReclaimer();
