// The kubelet's prober manager (pkg/kubelet/prober/prober_manager.go): one worker per
// (pod, container, probe type). Readiness and startup results are cached here and read by
// the status code through isReady/isStarted; a liveness (or startup) failure is handed to
// the pod worker through onLivenessFailure, which kills and restarts the container.
import type { Logger } from 'pino';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  clock?: Clock;
  log: Logger;
  recorder?: EventRecorder;
  /** A liveness or startup probe crossed failureThreshold: restart the container. */
  onLivenessFailure(podUid: string, containerName: string): void;
  /** A readiness or startup result changed: recompute the pod's status. */
  onChange(podUid: string): void;
}

export class ProbeManager {
  readonly #opts: ProbeManagerOptions;
  readonly #clock: Clock;

  constructor(opts: ProbeManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  /**
   * Starts probing a running container. Calling it again for the same (pod, container) with a
   * new containerId (a restart) resets that container's results, as upstream's workers do
   * when they see a new container ID.
   */
  addContainer(pod: Pod, container: Container, containerId: string, podIP: string | undefined, startedAtMs: number): void {
    void pod; void container; void containerId; void podIP; void startedAtMs; void this.#opts; void this.#clock;
  }

  removeContainer(podUid: string, containerName: string): void { void podUid; void containerName; }

  removePod(podUid: string): void { void podUid; }

  /**
   * The readiness result. A container without a readiness probe is ready once started; a
   * container never added (not running) is not ready.
   */
  isReady(podUid: string, containerName: string): boolean { void podUid; void containerName; return false; }

  /** The startup result: true without a startup probe; false for a container never added. */
  isStarted(podUid: string, containerName: string): boolean { void podUid; void containerName; return false; }

  stop(): void {}
}
