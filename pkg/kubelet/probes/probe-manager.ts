// The kubelet's prober manager (pkg/kubelet/prober/prober_manager.go): one worker per
// (pod, container, probe type) of each running container instance. Readiness and startup
// results are cached here and read by the status code through isReady/isStarted; a liveness
// (or startup) failure is handed to the pod worker through onLivenessFailure, which kills the
// container ("Container x failed liveness probe, will be restarted") and starts a new one.
import type { Logger } from 'pino';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../../client/clock.js';
import { ContainerNotFoundError } from '../runtime/runtime-errors.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { runProbe, type Prober } from './prober.js';
import { ProbeWorker, type ProbeResultValue, type ProbeType } from './probe-worker.js';

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  clock?: Clock;
  log: Logger;
  recorder?: EventRecorder;
  /**
   * A liveness or startup probe crossed failureThreshold: restart the container. The kill
   * message upstream is `Container ${name} failed ${probeType} probe, will be restarted`.
   */
  onLivenessFailure(podUid: string, containerName: string, probeType: 'liveness' | 'startup'): void;
  /** A readiness or startup result changed: recompute the pod's status. */
  onChange(podUid: string): void;
  /** Replaces the real probers (tests). */
  prober?: Prober;
  /** Whether a container instance runs; defaults to asking the runtime. */
  isContainerRunning?(containerId: string): Promise<boolean>;
}

interface ContainerProbes {
  containerId: string;
  pod: Pod;
  workers: Map<ProbeType, ProbeWorker>;
  results: Map<ProbeType, ProbeResultValue>;
}

export class ProbeManager {
  readonly #opts: ProbeManagerOptions;
  readonly #clock: Clock;
  readonly #prober: Prober;
  /** podUid → containerName → the probes of its current instance. */
  readonly #pods = new Map<string, Map<string, ContainerProbes>>();

  constructor(opts: ProbeManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#prober = opts.prober ?? runProbe;
  }

  /**
   * Starts probing a running container. Calling it again for the same (pod, container) with a
   * new containerId (a restart) replaces the workers, so results start over from the initial
   * values (not ready, alive, not started); the same containerId again only refreshes the pod.
   */
  addContainer(pod: Pod, container: Container, containerId: string, podIP: string | undefined, startedAtMs: number): void {
    const podUid = pod.metadata?.uid ?? '';
    let containers = this.#pods.get(podUid);
    if (!containers) { containers = new Map(); this.#pods.set(podUid, containers); }
    const existing = containers.get(container.name);
    if (existing?.containerId === containerId) { existing.pod = pod; return; }
    if (existing) this.#stopWorkers(existing);

    const entry: ContainerProbes = { containerId, pod, workers: new Map(), results: new Map() };
    containers.set(container.name, entry);
    const log = this.#opts.log.child({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, container: container.name });
    const target = { runtime: this.#opts.runtime, containerId, container, podIP };
    const probes: [ProbeType, Container['livenessProbe']][] = [
      ['startup', container.startupProbe], ['readiness', container.readinessProbe], ['liveness', container.livenessProbe],
    ];
    for (const [type, probe] of probes) {
      if (!probe) continue;
      const worker = new ProbeWorker({
        clock: this.#clock,
        prober: this.#prober,
        log,
        isStarted: () => this.#isStarted(entry),
        isDeleting: () => entry.pod.metadata?.deletionTimestamp != null,
        isRunning: () => this.#isRunning(containerId),
        setResult: (t, r) => this.#setResult(podUid, container.name, entry, t, r),
        recordEvent: (type, reason, message) => this.#recordEvent(entry.pod, type, reason, message),
      }, type, probe, target, startedAtMs);
      entry.workers.set(type, worker);
    }
    for (const w of entry.workers.values()) w.start();
  }

  /** Keeps the workers' view of the pod current (deletionTimestamp stops liveness probing). */
  updatePod(pod: Pod): void {
    for (const entry of this.#pods.get(pod.metadata?.uid ?? '')?.values() ?? []) entry.pod = pod;
  }

  removeContainer(podUid: string, containerName: string): void {
    const containers = this.#pods.get(podUid);
    const entry = containers?.get(containerName);
    if (!containers || !entry) return;
    this.#stopWorkers(entry);
    containers.delete(containerName);
    if (containers.size === 0) this.#pods.delete(podUid);
  }

  removePod(podUid: string): void {
    for (const entry of this.#pods.get(podUid)?.values() ?? []) this.#stopWorkers(entry);
    this.#pods.delete(podUid);
  }

  /**
   * The readiness result. A container without a readiness probe is ready once started; a
   * container never added is not ready. Like upstream's status code, combine it with the
   * container's state: an exited instance without a readiness probe still reads true here
   * until removeContainer.
   */
  isReady(podUid: string, containerName: string): boolean {
    const entry = this.#pods.get(podUid)?.get(containerName);
    if (!entry || !this.#isStarted(entry)) return false;
    return !entry.workers.has('readiness') || entry.results.get('readiness') === 'success';
  }

  /** The startup result: true without a startup probe; false for a container never added. */
  isStarted(podUid: string, containerName: string): boolean {
    const entry = this.#pods.get(podUid)?.get(containerName);
    return entry !== undefined && this.#isStarted(entry);
  }

  stop(): void {
    for (const containers of this.#pods.values()) for (const entry of containers.values()) this.#stopWorkers(entry);
    this.#pods.clear();
  }

  async #isRunning(containerId: string): Promise<boolean> {
    if (this.#opts.isContainerRunning) return this.#opts.isContainerRunning(containerId);
    try {
      return (await this.#opts.runtime.containerStatus(containerId)).state === 'running';
    } catch (err) {
      // Not found: gone. Anything else: let the probe itself find out and report it.
      return !(err instanceof ContainerNotFoundError);
    }
  }

  #isStarted(entry: ContainerProbes): boolean {
    return !entry.workers.has('startup') || entry.results.get('startup') === 'success';
  }

  #setResult(podUid: string, containerName: string, entry: ContainerProbes, type: ProbeType, result: ProbeResultValue): void {
    if (this.#pods.get(podUid)?.get(containerName) !== entry) return; // a replaced instance
    const previous = entry.results.get(type);
    entry.results.set(type, result);
    if (previous === undefined || previous === result) {
      // Initial values and repeats change nothing; a repeated liveness failure cannot
      // happen (the worker holds), so there is nothing to report.
      return;
    }
    if ((type === 'liveness' || type === 'startup') && result === 'failure') {
      this.#opts.onLivenessFailure(podUid, containerName, type);
    }
    if (type === 'startup' && result === 'success') {
      // prober_manager UpdatePodStatus: once started, run readiness at once, not a period later.
      entry.workers.get('readiness')?.trigger();
    }
    if (type === 'readiness' || type === 'startup') this.#opts.onChange(podUid);
  }

  #recordEvent(pod: Pod, type: 'Warning', reason: string, message: string): void {
    this.#opts.recorder?.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata ?? {} }, type, reason, message);
  }

  #stopWorkers(entry: ContainerProbes): void {
    for (const w of entry.workers.values()) w.stop();
  }
}
