// PriorityQueue: activeQ (ready, highest priority first), backoffQ (failed recently,
// waiting out an exponential backoff) and unschedulablePods (waiting for a cluster event,
// or at most five minutes).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { objectKey } from '../api/meta.js';
import { podPriority } from './framework/types.js';
import { KeyedHeap } from './keyed-heap.js';

export interface QueuedPodInfo {
  pod: Pod;
  key: string;
  /** When the pod was last added to a queue; orders equal priorities and starts backoff. */
  timestampMs: number;
  initialAttemptTimestampMs: number | undefined;
  attempts: number;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: Set<string>;
}

export interface SchedulingQueueOptions {
  clock?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
}

/** Cluster events that may make unschedulable pods schedulable. */
export const ClusterEvent = {
  NodeAdd: 'NodeAdd',
  NodeUpdate: 'NodeUpdate',
  AssignedPodDelete: 'AssignedPodDelete',
  AssignedPodAdd: 'AssignedPodAdd',
  AssignedPodUpdate: 'AssignedPodUpdate',
  UnschedulableTimeout: 'UnschedulableTimeout',
  ForceActivate: 'ForceActivate',
} as const;
export type ClusterEvent = (typeof ClusterEvent)[keyof typeof ClusterEvent];

/**
 * The plugins whose rejection an event may resolve (each plugin's EventsToRegister); events
 * not listed may resolve any. A pod rejected only by other plugins stays where it is, so a
 * burst of bindings doesn't churn pods that lack, say, a matching node label.
 */
const EVENT_PLUGINS: Partial<Record<ClusterEvent, ReadonlySet<string>>> = {
  AssignedPodAdd: new Set(['InterPodAffinity', 'PodTopologySpread']),
  AssignedPodUpdate: new Set(['NodeResourcesFit', 'InterPodAffinity', 'PodTopologySpread']),
  AssignedPodDelete: new Set(['NodeResourcesFit', 'NodePorts', 'InterPodAffinity', 'PodTopologySpread']),
};

function mayHelp(event: ClusterEvent, info: QueuedPodInfo): boolean {
  const plugins = EVENT_PLUGINS[event];
  if (!plugins || info.unschedulablePlugins.size === 0) return true;
  for (const p of info.unschedulablePlugins) if (plugins.has(p)) return true;
  return false;
}

/** activeQ's order (PrioritySort): higher priority first, then earlier timestamp. */
export function lessQueuedPod(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = podPriority(a.pod);
  const pb = podPriority(b.pod);
  return pa > pb || (pa === pb && a.timestampMs < b.timestampMs);
}

/** 1 s, 2 s, 4 s, 8 s, 10 s, ...: doubles per attempt, capped. */
export function backoffDurationMs(attempts: number, initialMs = 1000, maxMs = 10_000): number {
  let d = initialMs;
  for (let i = 1; i < attempts; i++) {
    if (d > maxMs - d) return maxMs;
    d += d;
  }
  return Math.min(d, maxMs);
}

export class SchedulingQueue {
  readonly #clock: () => number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxUnschedulableMs: number;
  readonly #activeQ = new KeyedHeap<QueuedPodInfo>(lessQueuedPod, (p) => p.key);
  #backoffQ = new Map<string, QueuedPodInfo>();
  #unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet back in a queue (being scheduled). */
  #inFlight = new Map<string, QueuedPodInfo>();
  #schedulingCycle = 0;
  /** The cycle of the last move request: a pod failing in an older cycle may have missed it. */
  #moveRequestCycle = -1;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.#maxUnschedulableMs = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
  }

  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  #newInfo(pod: Pod): QueuedPodInfo {
    return { pod, key: objectKey(pod), timestampMs: this.#clock(), initialAttemptTimestampMs: undefined, attempts: 0, unschedulablePlugins: new Set() };
  }

  #pushActive(info: QueuedPodInfo): void {
    this.#activeQ.push(info);
    this.#backoffQ.delete(info.key);
    this.#unschedulable.delete(info.key);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** A new pending pod goes straight to activeQ. */
  add(pod: Pod): void {
    this.#pushActive(this.#newInfo(pod));
  }

  /** Updates in place; an unschedulable pod whose spec or labels changed gets another try. */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    const key = objectKey(newPod);
    const active = this.#activeQ.get(key);
    if (active) {
      this.#pushActive({ ...active, pod: newPod });
      return;
    }
    const backoff = this.#backoffQ.get(key);
    if (backoff) {
      backoff.pod = newPod;
      return;
    }
    const unschedulable = this.#unschedulable.get(key);
    if (unschedulable) {
      const changed = !oldPod || JSON.stringify(oldPod.spec) !== JSON.stringify(newPod.spec) || JSON.stringify(oldPod.metadata?.labels) !== JSON.stringify(newPod.metadata?.labels);
      unschedulable.pod = newPod;
      if (changed) this.#moveToActiveOrBackoff(unschedulable);
      return;
    }
    const inFlight = this.#inFlight.get(key);
    if (inFlight) {
      inFlight.pod = newPod;
      return;
    }
    this.add(newPod);
  }

  delete(pod: Pod): void {
    const key = objectKey(pod);
    this.#activeQ.delete(key);
    this.#backoffQ.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
  }

  /** The next pod to schedule; waits for one. Undefined once aborted or closed. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    while (this.#activeQ.size === 0) {
      if (this.#closed || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    const info = this.#activeQ.pop()!;
    info.attempts++;
    info.initialAttemptTimestampMs ??= this.#clock();
    this.#schedulingCycle++;
    this.#inFlight.set(info.key, info);
    return info;
  }

  /** A pod that failed to schedule: to unschedulablePods, or to backoffQ if the cluster changed meanwhile. */
  addUnschedulableIfNotPresent(info: QueuedPodInfo, podSchedulingCycle: number): void {
    this.#inFlight.delete(info.key);
    if (this.#activeQ.has(info.key) || this.#backoffQ.has(info.key) || this.#unschedulable.has(info.key)) return;
    info.timestampMs = this.#clock();
    if (this.#moveRequestCycle >= podSchedulingCycle) this.#backoffQ.set(info.key, info);
    else this.#unschedulable.set(info.key, info);
  }

  /** A pod that failed with an error (not rejected by a plugin) is retried once its backoff is over. */
  addBackoff(info: QueuedPodInfo): void {
    this.#inFlight.delete(info.key);
    if (this.#activeQ.has(info.key) || this.#backoffQ.has(info.key) || this.#unschedulable.has(info.key)) return;
    info.timestampMs = this.#clock();
    this.#backoffQ.set(info.key, info);
  }

  /** The pod was bound (or deleted) and leaves the queue for good. */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  backoffExpiryMs(info: QueuedPodInfo): number {
    return info.timestampMs + backoffDurationMs(info.attempts, this.#initialBackoffMs, this.#maxBackoffMs);
  }

  isPodBackingOff(info: QueuedPodInfo): boolean {
    return this.backoffExpiryMs(info) > this.#clock();
  }

  #moveToActiveOrBackoff(info: QueuedPodInfo): void {
    this.#unschedulable.delete(info.key);
    if (this.isPodBackingOff(info)) this.#backoffQ.set(info.key, info);
    else this.#pushActive(info);
  }

  /** A cluster event (node added or updated, assigned pod deleted, ...) retries the unschedulable pods it may help. */
  moveAllToActiveOrBackoff(event: ClusterEvent): void {
    for (const info of [...this.#unschedulable.values()]) if (mayHelp(event, info)) this.#moveToActiveOrBackoff(info);
    this.#moveRequestCycle = this.#schedulingCycle;
  }

  /** Run every second: pods whose backoff has expired become active. */
  flushBackoffQCompleted(): void {
    const ready = [...this.#backoffQ.values()].filter((i) => !this.isPodBackingOff(i));
    ready.sort((a, b) => this.backoffExpiryMs(a) - this.backoffExpiryMs(b));
    for (const info of ready) this.#pushActive(info);
  }

  /** Run every 30 s: pods unschedulable for five minutes get another try anyway. */
  flushUnschedulablePodsLeftover(): void {
    const now = this.#clock();
    for (const info of [...this.#unschedulable.values()]) {
      if (now - info.timestampMs > this.#maxUnschedulableMs) this.#moveToActiveOrBackoff(info);
    }
  }

  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Counts per sub-queue, for metrics (scheduler_pending_pods{queue}). */
  pendingPods(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#activeQ.size, backoff: this.#backoffQ.size, unschedulable: this.#unschedulable.size };
  }

  has(key: string): boolean {
    return this.#activeQ.has(key) || this.#backoffQ.has(key) || this.#unschedulable.has(key) || this.#inFlight.has(key);
  }
}
