// One priority level's queues (upstream's fairqueuing/queueset): shuffle-sharded queues
// served by virtual-time fair queuing measured in seat-seconds, with a concurrency limit in
// seats. Time comes from an injected clock; everything else is synchronous, so tests step
// the clock and finish requests in a chosen order.
import type { Clock, TimerHandle } from '../../client/clock.js';
import { dealHand } from './shuffle-sharding.js';

export interface QueueSetConfig {
  name: string;
  /** Seats that may execute at once. */
  concurrencyLimit: number;
  /** 0: no queuing, a request that does not fit at once is rejected (limitResponse Reject). */
  queues: number;
  handSize: number;
  queueLengthLimit: number;
  /** How long a request may wait in its queue before it is rejected. */
  requestWaitLimitMs: number;
}

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

export interface QueuedRequestSpec {
  /** The flow's hash (see flowHash): picks its hand of queues. */
  flowHash: number;
  seats: number;
  /** How long this request may wait in its queue, when not the queue set's requestWaitLimitMs. */
  waitLimitMs?: number | undefined;
  /** Called once: with 'execute' when the request may run, else why it was rejected. May be called from within startRequest. */
  onDecision(decision: 'execute' | RejectReason): void;
  /** Called when the request enters (true) and leaves (false) a queue. */
  noteQueued?(inQueue: boolean): void;
}

export interface RequestHandle {
  /** The request finished executing (or, still waiting, its client went away): frees its seats. Idempotent. */
  finish(): void;
}

/**
 * Upstream's G: the service time every request is assumed to take when it is dispatched; the
 * queue's virtual start is corrected by the actual time when it finishes.
 */
const ESTIMATED_SERVICE_SECONDS = 3;

interface Queue {
  index: number;
  waiting: Request[];
  /** Virtual time (seat-seconds) at which the queue's next request is due to start. */
  nextDispatchR: number;
  requestsExecuting: number;
  seatsInUse: number;
  seatsWaiting: number;
}

interface Request {
  spec: QueuedRequestSpec;
  seats: number;
  queue: Queue | undefined;
  state: 'waiting' | 'executing' | 'done';
  arrivalR: number;
  startMs: number;
  timer: TimerHandle | undefined;
}

export class QueueSet {
  readonly config: QueueSetConfig;
  readonly #clock: Clock;
  readonly #queues: Queue[];
  #currentR = 0;
  #lastRealMs: number;
  #robinIndex = -1;
  #enqueues = 0;
  #requestsWaiting = 0;
  #seatsWaiting = 0;
  #requestsExecuting = 0;
  #seatsInUse = 0;

  constructor(config: QueueSetConfig, clock: Clock) {
    this.config = { ...config, handSize: Math.max(1, Math.min(config.handSize, config.queues)) };
    this.#clock = clock;
    this.#lastRealMs = clock.now();
    this.#queues = Array.from({ length: Math.max(0, config.queues) }, (_, index) => ({ index, waiting: [], nextDispatchR: 0, requestsExecuting: 0, seatsInUse: 0, seatsWaiting: 0 }));
  }

  get requestsWaiting(): number { return this.#requestsWaiting; }
  get requestsExecuting(): number { return this.#requestsExecuting; }
  get seatsInUse(): number { return this.#seatsInUse; }
  isIdle(): boolean { return this.#requestsWaiting === 0 && this.#requestsExecuting === 0; }

  startRequest(spec: QueuedRequestSpec): RequestHandle {
    this.#syncTime();
    const seats = Math.max(1, Math.floor(spec.seats));
    const req: Request = { spec, seats, queue: undefined, state: 'waiting', arrivalR: this.#currentR, startMs: 0, timer: undefined };
    const handle: RequestHandle = { finish: () => this.#finish(req) };
    if (this.#queues.length === 0) {
      if (!this.#canAccommodate(seats)) { req.state = 'done'; spec.onDecision('concurrency-limit'); return handle; }
      this.#execute(req);
      return handle;
    }
    const queue = this.#shuffleShard(spec.flowHash);
    if (this.#seatsInUse >= this.config.concurrencyLimit && queue.waiting.length >= this.config.queueLengthLimit) {
      req.state = 'done';
      spec.onDecision('queue-full');
      return handle;
    }
    if (queue.waiting.length === 0 && queue.requestsExecuting === 0) queue.nextDispatchR = this.#currentR;
    req.queue = queue;
    queue.waiting.push(req);
    queue.seatsWaiting += seats;
    this.#requestsWaiting++;
    this.#seatsWaiting += seats;
    spec.noteQueued?.(true);
    req.timer = this.#clock.setTimer(() => this.#timeOut(req), spec.waitLimitMs ?? this.config.requestWaitLimitMs);
    this.#boundNextDispatch(queue);
    this.#dispatchAsMuchAsPossible();
    return handle;
  }

  /**
   * Virtual time advances at the rate each active queue would be served if the seats in use
   * (at most the limit) were shared equally among the active queues.
   */
  #syncTime(): void {
    const now = this.#clock.now();
    const elapsedSeconds = Math.max(0, now - this.#lastRealMs) / 1000;
    this.#lastRealMs = now;
    let active = 0;
    let seatsRequested = 0;
    for (const q of this.#queues) {
      seatsRequested += q.seatsInUse + q.seatsWaiting;
      if (q.waiting.length || q.requestsExecuting) active++;
    }
    if (active) this.#currentR += elapsedSeconds * Math.min(seatsRequested, this.config.concurrencyLimit) / active;
  }

  /** The queue in the flow's hand with the least work waiting; ties go round the hand. */
  #shuffleShard(hash: number): Queue {
    const hand = dealHand(hash, this.#queues.length, this.config.handSize);
    const offset = this.#enqueues++ % hand.length;
    let best: Queue | undefined;
    for (let i = 0; i < hand.length; i++) {
      const q = this.#queues[hand[(offset + i) % hand.length]!]!;
      if (!best || q.seatsWaiting < best.seatsWaiting) best = q;
    }
    return best!;
  }

  #canAccommodate(seats: number): boolean {
    // A request wider than the whole limit runs alone rather than never.
    if (seats > this.config.concurrencyLimit) return this.#requestsExecuting === 0;
    return this.#seatsInUse + seats <= this.config.concurrencyLimit;
  }

  #dispatchAsMuchAsPossible(): void {
    while (this.#requestsWaiting > 0 && this.#seatsInUse < this.config.concurrencyLimit && this.#dispatchOne());
  }

  /** Serves the queue whose oldest request has the earliest virtual finish time. */
  #dispatchOne(): boolean {
    let minFinish = Infinity;
    let minQueue: Queue | undefined;
    let minIndex = 0;
    const n = this.#queues.length;
    for (let i = 0; i < n; i++) {
      this.#robinIndex = (this.#robinIndex + 1) % n;
      const q = this.#queues[this.#robinIndex]!;
      const oldest = q.waiting[0];
      if (!oldest) continue;
      const finish = q.nextDispatchR + oldest.seats * ESTIMATED_SERVICE_SECONDS;
      if (finish < minFinish) { minFinish = finish; minQueue = q; minIndex = this.#robinIndex; }
    }
    const req = minQueue?.waiting[0];
    if (!minQueue || !req || !this.#canAccommodate(req.seats)) return false;
    // The next round starts after the chosen queue, so equal finish times take turns.
    this.#robinIndex = minIndex;
    this.#dequeue(req);
    minQueue.nextDispatchR += req.seats * ESTIMATED_SERVICE_SECONDS;
    this.#execute(req);
    this.#boundNextDispatch(minQueue);
    return true;
  }

  #dequeue(req: Request): void {
    const q = req.queue!;
    q.waiting.splice(q.waiting.indexOf(req), 1);
    q.seatsWaiting -= req.seats;
    this.#requestsWaiting--;
    this.#seatsWaiting -= req.seats;
    req.timer?.cancel();
    req.spec.noteQueued?.(false);
  }

  #execute(req: Request): void {
    req.state = 'executing';
    req.startMs = this.#clock.now();
    this.#requestsExecuting++;
    this.#seatsInUse += req.seats;
    if (req.queue) { req.queue.requestsExecuting++; req.queue.seatsInUse += req.seats; }
    req.spec.onDecision('execute');
  }

  #timeOut(req: Request): void {
    if (req.state !== 'waiting') return;
    this.#syncTime();
    this.#dequeue(req);
    req.state = 'done';
    req.spec.onDecision('time-out');
  }

  #finish(req: Request): void {
    if (req.state === 'done') return;
    this.#syncTime();
    if (req.state === 'waiting') {
      this.#dequeue(req);
      req.state = 'done';
      req.spec.onDecision('cancelled');
      return;
    }
    req.state = 'done';
    this.#requestsExecuting--;
    this.#seatsInUse -= req.seats;
    const q = req.queue;
    if (q) {
      q.requestsExecuting--;
      q.seatsInUse -= req.seats;
      // Charged G at dispatch; the queue gets back what it did not use (or pays what it overran).
      const actualSeconds = (this.#clock.now() - req.startMs) / 1000;
      q.nextDispatchR -= req.seats * (ESTIMATED_SERVICE_SECONDS - actualSeconds);
      this.#boundNextDispatch(q);
    }
    this.#dispatchAsMuchAsPossible();
  }

  /** Upstream's anti-windup: a queue's next dispatch is never earlier than its oldest request's arrival. */
  #boundNextDispatch(q: Queue): void {
    const oldest = q.waiting[0];
    if (oldest && q.nextDispatchR < oldest.arrivalR) q.nextDispatchR = oldest.arrivalR;
  }
}
