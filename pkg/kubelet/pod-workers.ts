// One worker per pod UID (pod_workers.go). updatePod never blocks: it records the latest pod
// and wakes the worker; an update arriving while a sync runs replaces any still waiting, so
// only the latest state is guaranteed to sync. A pod moves sync → terminating → terminated,
// one retried method per phase; a kill request aborts a running sync. A pod that is being
// synced is synced again every resync interval even when nothing changed (--sync-frequency:
// the pod worker requeues it with jitter after each sync, as completeWork does upstream).
import type { Logger } from 'pino';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock, type TimerHandle } from '../client/clock.js';
import type { DeepReadonly } from '../client/lister.js';

export type WorkerPod = DeepReadonly<Pod>;

export interface SyncResult {
  /** Sync again after this long even without a change (back-off ends, retries). */
  requeueAfterMs?: number;
}

export interface PodSyncer {
  syncPod(pod: WorkerPod, signal: AbortSignal): Promise<SyncResult>;
  /** Stops every container with the grace period; must be safe to retry. */
  syncTerminatingPod(pod: WorkerPod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void>;
  /** Removes what is left (containers, sandbox, volumes) and the pod object. */
  syncTerminatedPod(pod: WorkerPod, signal: AbortSignal): Promise<void>;
}

export interface UpdatePodOptions {
  pod: WorkerPod;
  /** kill: the pod is being deleted (or was removed from the API). */
  type: 'sync' | 'kill';
  gracePeriodSeconds?: number;
}

type WorkerPhase = 'sync' | 'terminating' | 'terminated';

interface Worker {
  uid: string;
  pod: WorkerPod;
  phase: WorkerPhase;
  pending: boolean;
  kill?: { gracePeriodSeconds: number };
  running?: Promise<void>;
  abort?: AbortController;
  timer?: TimerHandle;
}

export interface PodWorkersOptions {
  syncer: PodSyncer;
  log: Logger;
  clock?: Clock;
  /** Retry delay after a failed sync. */
  retryMs?: number;
  /** Every pod in the sync phase is synced again after this long (plus up to 50% jitter); none when absent. */
  resyncIntervalMs?: number;
  /** [0, 1): the jitter's source (tests). */
  random?: () => number;
}

/** workerResyncIntervalJitterFactor. */
const RESYNC_JITTER_FACTOR = 0.5;
const MIN_RESYNC_MS = 1000;

export class PodWorkers {
  readonly #syncer: PodSyncer;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #retryMs: number;
  readonly #resyncIntervalMs: number | undefined;
  readonly #random: () => number;
  readonly #workers = new Map<string, Worker>();
  /** Pods whose termination finished; further updates for them are ignored. */
  readonly #finished = new Set<string>();
  readonly #stop = new AbortController();

  constructor(opts: PodWorkersOptions) {
    this.#syncer = opts.syncer;
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#retryMs = opts.retryMs ?? 1000;
    // Upstream picks due pods off its work queue once a second (the syncLoop's sync ticker):
    // no pod resyncs more often than that, whatever the interval.
    this.#resyncIntervalMs = opts.resyncIntervalMs === undefined ? undefined : Math.max(MIN_RESYNC_MS, opts.resyncIntervalMs);
    this.#random = opts.random ?? Math.random;
  }

  updatePod(update: UpdatePodOptions): void {
    if (this.#stop.signal.aborted) return;
    const uid = update.pod.metadata?.uid ?? '';
    if (this.#finished.has(uid)) return;
    let w = this.#workers.get(uid);
    if (!w) {
      w = { uid, pod: update.pod, phase: 'sync', pending: false };
      this.#workers.set(uid, w);
    }
    w.pod = update.pod;
    if (update.type === 'kill') {
      const grace = Math.max(0, update.gracePeriodSeconds ?? 30);
      // A later, shorter grace period wins; it can never be lengthened.
      if (!w.kill || grace < w.kill.gracePeriodSeconds) w.kill = { gracePeriodSeconds: grace };
      if (w.phase === 'sync') w.abort?.abort(new Error('pod is terminating'));
    }
    this.#wake(w);
  }

  /**
   * A newer object of a pod whose change needs no sync (only its status changed): the
   * worker's next sync, whatever wakes it, reads this one. Nothing is woken.
   */
  setPod(pod: WorkerPod): void {
    const w = this.#workers.get(pod.metadata?.uid ?? '');
    if (w) w.pod = pod;
  }

  isTerminating(uid: string): boolean {
    const w = this.#workers.get(uid);
    return w !== undefined && w.kill !== undefined;
  }

  /** UIDs with a worker or whose termination finished. */
  isKnown(uid: string): boolean {
    return this.#workers.has(uid) || this.#finished.has(uid);
  }

  /** The pod object is gone from the API: its uid can be forgotten once terminated. */
  forget(uid: string): void {
    this.#finished.delete(uid);
  }

  /** Stops every worker without touching the pods (kubelet shutdown: pods keep running). */
  async stop(): Promise<void> {
    this.#stop.abort(new Error('kubelet stopping'));
    for (const w of this.#workers.values()) { w.timer?.cancel(); w.abort?.abort(new Error('kubelet stopping')); }
    await Promise.allSettled([...this.#workers.values()].map((w) => w.running));
  }

  #wake(w: Worker): void {
    w.pending = true;
    w.timer?.cancel();
    delete w.timer;
    w.running ??= this.#run(w).finally(() => { delete w.running; if (w.pending && !this.#stop.signal.aborted) this.#wake(w); });
  }

  async #run(w: Worker): Promise<void> {
    const log = this.#log.child({ pod: `${w.pod.metadata?.namespace ?? ''}/${w.pod.metadata?.name ?? ''}` });
    while (w.pending && !this.#stop.signal.aborted) {
      w.pending = false;
      if (!w.kill) {
        const abort = new AbortController();
        w.abort = abort;
        const signal = AbortSignal.any([abort.signal, this.#stop.signal]);
        let requeueAfterMs: number | undefined;
        try {
          ({ requeueAfterMs } = await this.#syncer.syncPod(w.pod, signal));
        } catch (err) {
          if (!signal.aborted) {
            log.warn({ err: String(err) }, 'error syncing pod, skipping');
            requeueAfterMs = this.#retryMs;
          }
        } finally {
          delete w.abort;
        }
        if (this.#resyncIntervalMs !== undefined) {
          // wait.Jitter: the interval plus up to half of it, so pods do not resync in step.
          const resyncMs = this.#resyncIntervalMs * (1 + RESYNC_JITTER_FACTOR * this.#random());
          requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, resyncMs);
        }
        if (requeueAfterMs !== undefined && !w.pending && !w.kill) this.#requeue(w, requeueAfterMs);
        continue;
      }
      w.phase = 'terminating';
      const gracePeriodSeconds = w.kill.gracePeriodSeconds;
      if (!(await this.#retry(log, 'terminating', () => this.#syncer.syncTerminatingPod(w.pod, gracePeriodSeconds, this.#stop.signal)))) return;
      w.phase = 'terminated';
      if (!(await this.#retry(log, 'terminated', () => this.#syncer.syncTerminatedPod(w.pod, this.#stop.signal)))) return;
      this.#workers.delete(w.uid);
      this.#finished.add(w.uid);
      w.pending = false;
      return;
    }
  }

  /** Runs fn until it succeeds; false when the kubelet stops first. */
  async #retry(log: Logger, what: string, fn: () => Promise<void>): Promise<boolean> {
    for (;;) {
      if (this.#stop.signal.aborted) return false;
      try {
        await fn();
        return true;
      } catch (err) {
        if (this.#stop.signal.aborted) return false;
        log.warn({ err: String(err) }, `error syncing ${what} pod, retrying`);
        try { await this.#clock.sleep(this.#retryMs, this.#stop.signal); } catch { return false; }
      }
    }
  }

  #requeue(w: Worker, ms: number): void {
    w.timer?.cancel();
    w.timer = this.#clock.setTimer(() => { delete w.timer; if (this.#workers.get(w.uid) === w) this.#wake(w); }, ms);
  }
}
