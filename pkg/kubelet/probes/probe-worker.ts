// One probe of one container instance (pkg/kubelet/prober/worker.go): probe every
// periodSeconds once initialDelaySeconds have passed since the container started, count
// consecutive equal results, and publish a result only when successThreshold /
// failureThreshold is reached. Liveness and startup failures put the worker on hold: the
// container is about to be restarted, and the new instance gets a new worker.
import type { Logger } from 'pino';
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { Prober, ProbeTarget } from './prober.js';
import { ProbeError } from './probe-result.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
/** results.Result: what the kubelet believes until the next threshold crossing. */
export type ProbeResultValue = 'success' | 'failure' | 'unknown';

/** prober.go maxProbeRetries: a probe that errors (not fails) is retried this often. */
const MAX_PROBE_RETRIES = 3;

/** Upstream's initial results: not ready, alive, not yet started. */
export const INITIAL_RESULT: Record<ProbeType, ProbeResultValue> = {
  readiness: 'failure',
  liveness: 'success',
  startup: 'unknown',
};

/** probeType.String() as it prefixes event messages. */
export const PROBE_TYPE_NAME: Record<ProbeType, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

export interface ProbeWorkerHost {
  clock: Clock;
  prober: Prober;
  log: Logger;
  /** Whether the container's startup probe (if any) has succeeded. */
  isStarted(): boolean;
  /** Whether the pod is being deleted: liveness and startup probing then stops. */
  isDeleting(): boolean;
  /** Whether the container still runs; an exited instance is never probed (nor restarted in place). */
  isRunning(): Promise<boolean>;
  setResult(type: ProbeType, result: ProbeResultValue): void;
  recordEvent(type: 'Warning', reason: string, message: string): void;
}

/** A Probe with the API defaults applied (the apiserver normally has already). */
export interface ProbeSpec extends Probe {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export function withProbeDefaults(probe: Probe): ProbeSpec {
  return {
    ...probe,
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodSeconds: probe.periodSeconds || 10,
    timeoutSeconds: probe.timeoutSeconds || 1,
    successThreshold: probe.successThreshold || 1,
    failureThreshold: probe.failureThreshold || 3,
  };
}

export class ProbeWorker {
  readonly type: ProbeType;
  readonly spec: ProbeSpec;
  readonly #host: ProbeWorkerHost;
  readonly #target: ProbeTarget;
  readonly #startedAtMs: number;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #probing = false;
  #triggered = false;
  #onHold = false;
  #lastResult: ProbeResultValue = 'unknown';
  #resultRun = 0;

  constructor(host: ProbeWorkerHost, type: ProbeType, probe: Probe, target: ProbeTarget, startedAtMs: number) {
    this.#host = host;
    this.type = type;
    this.spec = withProbeDefaults(probe);
    this.#target = target;
    this.#startedAtMs = startedAtMs;
  }

  get isOnHold(): boolean { return this.#onHold; }
  get isStopped(): boolean { return this.#stopped; }

  /** Publishes the initial result and schedules the first probe right away. */
  start(): void {
    this.#host.setResult(this.type, INITIAL_RESULT[this.type]);
    this.#schedule(0);
  }

  /** Probes now instead of at the next tick (the manager's manualTriggerCh). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#probing) { this.#triggered = true; return; }
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    this.#timer?.cancel();
    this.#timer = this.#host.clock.setTimer(() => { void this.#tick(); }, delayMs);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    const tickAt = this.#host.clock.now();
    this.#probing = true;
    let keepGoing = true;
    try {
      keepGoing = await this.doProbe();
    } catch (err) {
      this.#host.log.error({ err, probe: this.type }, 'probe worker crashed');
    } finally {
      this.#probing = false;
    }
    if (this.#stopped || !keepGoing) { this.stop(); return; }
    if (this.#triggered) { this.#triggered = false; this.#schedule(0); return; }
    // Like a Go ticker, a probe slower than the period is followed at once by the next.
    const periodMs = this.spec.periodSeconds * 1000;
    this.#schedule(Math.max(0, periodMs - (this.#host.clock.now() - tickAt)));
  }

  /** One iteration of worker.doProbe; false ends the worker. Exposed for tests. */
  async doProbe(): Promise<boolean> {
    if (this.#onHold) return true;
    if (!(await this.#host.isRunning())) {
      // Upstream marks a non-running container's probes failed; only readiness shows it
      // (a dead container is not "killed" for liveness), and its successor gets new workers.
      if (this.type === 'readiness') this.#host.setResult(this.type, 'failure');
      return false;
    }
    if (this.#host.isDeleting() && this.type !== 'readiness') {
      // Set a last result to ensure a quiet shutdown.
      this.#host.setResult(this.type, 'success');
      return false;
    }
    const sinceStartSeconds = Math.trunc((this.#host.clock.now() - this.#startedAtMs) / 1000);
    if (sinceStartSeconds < this.spec.initialDelaySeconds) return true;
    if (this.#host.isStarted()) {
      // Once started, the startup probe rests (it is kept for the next instance upstream).
      if (this.type === 'startup') return true;
    } else if (this.type !== 'startup') {
      // Liveness and readiness wait for startup.
      return true;
    }

    const result = await this.#probeWithRetries();
    if (this.#stopped || result === undefined) return true;

    if (this.#lastResult === result) this.#resultRun++;
    else { this.#lastResult = result; this.#resultRun = 1; }
    if ((result === 'failure' && this.#resultRun < this.spec.failureThreshold)
      || (result === 'success' && this.#resultRun < this.spec.successThreshold)) {
      return true;
    }
    this.#host.setResult(this.type, result);
    if ((this.type === 'liveness' || this.type === 'startup') && result === 'failure') {
      // The container will be restarted; don't exec into a container being stopped.
      this.#onHold = true;
      this.#resultRun = 0;
    }
    return true;
  }

  /** prober.probe: success, failure, or undefined when the probe errored (result discarded). */
  async #probeWithRetries(): Promise<'success' | 'failure' | undefined> {
    const name = PROBE_TYPE_NAME[this.type];
    let lastError: unknown;
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      try {
        const outcome = await this.#host.prober(this.spec, this.#target);
        if (this.#stopped) return undefined;
        switch (outcome.result) {
          case 'success':
            return 'success';
          case 'warning':
            this.#host.recordEvent('Warning', 'ProbeWarning', `${name} probe warning: ${outcome.output}`);
            return 'success';
          case 'failure':
            this.#host.log.debug({ probe: this.type, output: outcome.output }, 'probe failed');
            this.#host.recordEvent('Warning', 'Unhealthy', `${name} probe failed: ${outcome.output}`);
            return 'failure';
        }
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        lastError = err;
      }
    }
    if (this.#stopped) return undefined;
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    this.#host.log.info({ probe: this.type, err: lastError }, 'probe errored');
    this.#host.recordEvent('Warning', 'Unhealthy', `${name} probe errored and resulted in unknown state: ${message}`);
    return undefined;
  }
}
