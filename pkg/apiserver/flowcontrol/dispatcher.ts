// API Priority and Fairness (upstream's apf_controller + apf_filter): classifies each request
// by the FlowSchemas, and holds it in its priority level's queue set until seats are free.
import { createHash } from 'node:crypto';
import type { FlowSchema, PriorityLevelConfiguration } from 'kubernetes-types/flowcontrol/v1.js';
import type { Clock } from '../../client/clock.js';
import type { UserInfo } from '../authentication/user.js';
import { classify, sortFlowSchemas } from './classifier.js';
import { QueueSet, type QueueSetConfig, type RejectReason } from './queue-set.js';
import { flowHash } from './shuffle-sharding.js';
import type { RequestAttributes } from './request-attributes.js';

export interface FlowControlConfiguration {
  flowSchemas: readonly FlowSchema[];
  priorityLevels: readonly PriorityLevelConfiguration[];
}

/** What the dispatcher reports; metrics.ts turns it into upstream's metric names. */
export interface FlowControlMetrics {
  rejected(priorityLevel: string, flowSchema: string, reason: RejectReason): void;
  inQueue(priorityLevel: string, flowSchema: string, delta: number): void;
  executingSeats(priorityLevel: string, flowSchema: string, delta: number): void;
  dispatched(priorityLevel: string, flowSchema: string): void;
  nominalLimitSeats(priorityLevel: string, seats: number): void;
  /** How long a request waited for its seats (upstream's request_wait_duration_seconds), whether it then executed or not. */
  waited?(priorityLevel: string, flowSchema: string, executed: boolean, seconds: number): void;
  /** How long it held its seats (upstream's request_execution_seconds). */
  executed?(priorityLevel: string, flowSchema: string, seconds: number): void;
}

export interface Classified {
  flowSchemaName: string;
  flowSchemaUid: string;
  priorityLevelName: string;
  priorityLevelUid: string;
}

export type Admission =
  | (Classified & { admitted: true; seats: number; release(): void })
  | (Classified & { admitted: false; reason: RejectReason });

export interface PriorityLevelView {
  name: string;
  nominalConcurrencyLimit: number;
  /** The most seats one request of this level may take (upstream's MaxSeatsTracker). */
  maxSeats: number;
  exempt: boolean;
}

interface PriorityLevelState extends PriorityLevelView {
  uid: string;
  queueSet: QueueSet | undefined;
}

/** The v1 API's defaults for unset fields. */
const DEFAULT_SHARES = 30;
const DEFAULT_QUEUES = 64;
const DEFAULT_HAND_SIZE = 8;
const DEFAULT_QUEUE_LENGTH_LIMIT = 50;
/** Upstream: a level's max seats is at most 15% of its nominal limit (and at most nominalCL / handSize). */
const MAX_SEATS_FRACTION = 0.15;

/**
 * Each level's nominal concurrency limit: its share of the server's, rounded up. Exempt
 * levels' shares count in the sum too (zero by default) though they are never limited.
 */
export function nominalConcurrencyLimits(levels: readonly PriorityLevelConfiguration[], serverConcurrencyLimit: number): Map<string, number> {
  const shares = levels.map((pl) => [pl.metadata?.name ?? '', sharesOf(pl)] as const);
  const sum = shares.reduce((s, [, n]) => s + n, 0);
  return new Map(shares.map(([name, n]) => [name, sum > 0 ? Math.ceil(serverConcurrencyLimit * n / sum) : 0]));
}

function sharesOf(pl: PriorityLevelConfiguration): number {
  return pl.spec?.type === 'Exempt' ? pl.spec.exempt?.nominalConcurrencyShares ?? 0 : pl.spec?.limited?.nominalConcurrencyShares ?? DEFAULT_SHARES;
}

export function maxSeatsFor(nominalConcurrencyLimit: number, handSize: number): number {
  return Math.max(1, Math.min(Math.ceil(nominalConcurrencyLimit * MAX_SEATS_FRACTION), Math.floor(nominalConcurrencyLimit / Math.max(1, handSize))));
}

export interface DispatcherOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight. */
  serverConcurrencyLimit: number;
  configuration: FlowControlConfiguration;
  clock: Clock;
  /** How long a request may wait in a queue (upstream: a quarter of the request timeout, at most a minute). */
  requestWaitLimitMs: number;
  metrics?: FlowControlMetrics | undefined;
}

export class Dispatcher {
  readonly #serverCL: number;
  readonly #clock: Clock;
  readonly #waitLimitMs: number;
  readonly #metrics: FlowControlMetrics | undefined;
  #schemas: FlowSchema[] = [];
  #levels = new Map<string, PriorityLevelState>();

  constructor(opts: DispatcherOptions) {
    this.#serverCL = opts.serverConcurrencyLimit;
    this.#clock = opts.clock;
    this.#waitLimitMs = opts.requestWaitLimitMs;
    this.#metrics = opts.metrics;
    this.setConfiguration(opts.configuration);
  }

  /**
   * Applies new FlowSchemas and PriorityLevelConfigurations. A level whose limits changed gets
   * a new queue set; requests in the old one finish there (upstream quiesces it likewise).
   */
  setConfiguration(cfg: FlowControlConfiguration): void {
    this.#schemas = sortFlowSchemas(cfg.flowSchemas);
    const limits = nominalConcurrencyLimits(cfg.priorityLevels, this.#serverCL);
    const levels = new Map<string, PriorityLevelState>();
    for (const pl of cfg.priorityLevels) {
      const name = pl.metadata?.name ?? '';
      const nominal = limits.get(name) ?? 0;
      const uid = uidOf(pl);
      if (pl.spec?.type === 'Exempt') {
        levels.set(name, { name, uid, nominalConcurrencyLimit: nominal, maxSeats: 1, exempt: true, queueSet: undefined });
        continue;
      }
      const limitResponse = pl.spec?.limited?.limitResponse;
      const queuing = limitResponse?.type === 'Queue' ? limitResponse.queuing ?? {} : undefined;
      const qsConfig: QueueSetConfig = {
        name, concurrencyLimit: nominal,
        queues: queuing ? queuing.queues ?? DEFAULT_QUEUES : 0,
        handSize: queuing?.handSize ?? DEFAULT_HAND_SIZE,
        queueLengthLimit: queuing?.queueLengthLimit ?? DEFAULT_QUEUE_LENGTH_LIMIT,
        requestWaitLimitMs: this.#waitLimitMs,
      };
      const old = this.#levels.get(name)?.queueSet;
      const queueSet = old && sameConfig(old.config, qsConfig) ? old : new QueueSet(qsConfig, this.#clock);
      levels.set(name, { name, uid, nominalConcurrencyLimit: nominal, maxSeats: maxSeatsFor(nominal, qsConfig.handSize), exempt: false, queueSet });
      this.#metrics?.nominalLimitSeats(name, nominal);
    }
    this.#levels = levels;
  }

  priorityLevel(name: string): PriorityLevelView | undefined {
    return this.#levels.get(name);
  }

  /**
   * Classifies the request and waits until it may execute, or says why it may not.
   * `seatsFor` is asked once the level is known (a list's seats depend on its maxSeats).
   * Aborting `signal` while the request waits takes it out of its queue.
   */
  handle(attrs: RequestAttributes, user: UserInfo, seatsFor: (level: PriorityLevelView) => number, opts: { signal?: AbortSignal | undefined; waitLimitMs?: number | undefined } = {}): Promise<Admission> {
    const { signal } = opts;
    const c = classify(attrs, user, this.#schemas, (name) => this.#levels.has(name));
    const level = c && this.#levels.get(c.priorityLevelName);
    if (!c || !level) {
      // No schema matches (a configuration without the mandatory catch-all): served unlimited.
      return Promise.resolve({ admitted: true, seats: 0, release: () => undefined, flowSchemaName: '', flowSchemaUid: '', priorityLevelName: '', priorityLevelUid: '' });
    }
    const fsName = c.flowSchema.metadata?.name ?? '';
    const classified: Classified = { flowSchemaName: fsName, flowSchemaUid: uidOf(c.flowSchema), priorityLevelName: level.name, priorityLevelUid: level.uid };
    const metrics = this.#metrics;
    if (!level.queueSet) {
      metrics?.dispatched(level.name, fsName);
      return Promise.resolve({ ...classified, admitted: true, seats: 0, release: () => undefined });
    }
    const queueSet = level.queueSet;
    const seats = Math.max(1, seatsFor(level));
    const arrivedMs = this.#clock.now();
    const clock = this.#clock;
    return new Promise<Admission>((resolve) => {
      let onAbort: (() => void) | undefined;
      let released = false;
      let decided = false;
      const handle = queueSet.startRequest({
        flowHash: flowHash(fsName, c.flowDistinguisher),
        seats, waitLimitMs: opts.waitLimitMs,
        noteQueued: (inQueue) => metrics?.inQueue(level.name, fsName, inQueue ? 1 : -1),
        onDecision: (decision) => {
          decided = true;
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          const startedMs = clock.now();
          metrics?.waited?.(level.name, fsName, decision === 'execute', (startedMs - arrivedMs) / 1000);
          if (decision !== 'execute') {
            metrics?.rejected(level.name, fsName, decision);
            resolve({ ...classified, admitted: false, reason: decision });
            return;
          }
          metrics?.dispatched(level.name, fsName);
          metrics?.executingSeats(level.name, fsName, seats);
          resolve({
            ...classified, admitted: true, seats,
            release: () => {
              if (released) return;
              released = true;
              metrics?.executingSeats(level.name, fsName, -seats);
              metrics?.executed?.(level.name, fsName, (clock.now() - startedMs) / 1000);
              handle.finish();
            },
          });
        },
      });
      if (signal && !decided) {
        onAbort = () => handle.finish();
        if (signal.aborted) handle.finish();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}

function sameConfig(a: QueueSetConfig, b: QueueSetConfig): boolean {
  return a.concurrencyLimit === b.concurrencyLimit && a.queues === b.queues && a.handSize === b.handSize
    && a.queueLengthLimit === b.queueLengthLimit && a.requestWaitLimitMs === b.requestWaitLimitMs;
}

/**
 * The response headers carry UIDs, not names (upstream hides the names from clients). The
 * built-in objects have none until they are stored, so they get one derived from the name.
 */
function uidOf(obj: FlowSchema | PriorityLevelConfiguration): string {
  const uid = obj.metadata?.uid;
  if (uid) return uid;
  const h = createHash('sha256').update(`${obj.kind ?? ''}/${obj.metadata?.name ?? ''}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
