// Gives the memory of big list responses back soon after they are sent.
//
// A 10,000-pod list leaves some 80 MB of dead buffers and strings behind (etcd's gRPC
// messages, the pages, the response). V8 collects them only at its next full GC, and an
// apiserver that goes quiet after a few big lists may not run one for a long time, so its
// RSS stays at the peak. Go's runtime, which Kubernetes' apiserver runs on, collects after
// the heap grows and returns freed memory to the OS in the background; Node does neither
// for an idle process. One full GC shortly after a big response does what Go would have
// done, at the price of one pause of a few tens of milliseconds once the big responses stop.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Responses at least this big leave enough garbage to be worth a full GC. */
export const BIG_RESPONSE_BYTES = 8 * 1024 * 1024;
/** The GC waits until no big response has been sent for this long: a busy server collects by itself. */
export const QUIET_MS = 1000;

/** V8's full GC, or undefined where it cannot be had. */
function fullGc(): (() => void) | undefined {
  try {
    // --expose-gc only puts gc() into contexts created after it is set: hence the new context.
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export class MemoryReclaimer {
  readonly #gc: (() => void) | undefined;
  readonly #quietMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { gc?: () => void; quietMs?: number } = {}) {
    this.#gc = opts.gc ?? fullGc();
    this.#quietMs = opts.quietMs ?? QUIET_MS;
  }

  /** A response of this many bytes has been sent: if it was big, a full GC once things go quiet. */
  responseSent(bytes: number): void {
    if (bytes < BIG_RESPONSE_BYTES || !this.#gc) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#gc!();
    }, this.#quietMs);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export const memoryReclaimer = new MemoryReclaimer();
