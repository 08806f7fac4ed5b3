// The pod worker's three steps (kubelet.go SyncPod, SyncTerminatingPod, SyncTerminatedPod) as
// reentrant transaction scripts. syncPod:
//   1. observe what the runtime holds for the pod
//   2. set up volumes
//   3. plan with computePodActions
//   4. kill the pod if the plan says so (sandbox changed, or nothing left to run)
//   5. create the sandbox if needed
//   6. kill containers the plan names (failed probes, changed specs, duplicates)
//   7. start init containers (the next one, sidecars that exited), then app containers
//   8. compute the status and hand it to the status manager
// Any step may fail; the error lands in the reason cache and the next sync carries on.
import type { Logger } from 'pino';
import type { Container, ConfigMap, Pod, PodStatus, Secret } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import type { Clock } from '../client/clock.js';
import type { EventRecorder, EventType } from '../client/event-recorder.js';
import type { DeepReadonly } from '../client/lister.js';
import type { RestClient } from '../client/rest-client.js';
import { Backoff } from './backoff.js';
import { CONTAINER_HASH_ANNOTATION, hashContainer } from './container-hash.js';
import { CreateContainerConfigError, expandCommandAndArgs, makeEnvironmentVariables } from './env.js';
import {
  FAILED_POST_START_HOOK, FAILED_PRE_STOP_HOOK, HookTimeoutError, POST_START_HOOK_ERROR_REASON, runHook,
} from './lifecycle/hooks.js';
import {
  backoffKey, computePodActions, containersByName, formatPod, hasRestartableInitContainer, isRestartableInitContainer,
  type ContainerToStart, type ObservedPod, type PodActions, type UnhealthyProbe,
} from './plan.js';
import { generateAPIPodStatus, type WaitingReason } from './pod-status.js';
import type { SyncResult, WorkerPod } from './pod-workers.js';
import type { ProbeManager } from './probes/probe-manager.js';
import { containerResources } from './runtime/container-resources.js';
import type {
  ContainerConfig, ContainerRuntime, ContainerSecurityContext, Mount, PodSandbox, PodSandboxConfig, PodSandboxStatus, PortMapping,
  RuntimeContainer, RuntimeContainerStatus,
} from './runtime/runtime.js';
import { ContainerNotFoundError, ImageNotFoundError, SandboxNotFoundError } from './runtime/runtime-errors.js';
import type { StatusManager } from './status-manager.js';
import { TerminationOrdering } from './termination-ordering.js';
import { FAILED_MOUNT_REASON, VolumeConfigError } from './volumes/volume-config-error.js';
import type { VolumeManager } from './volumes/volume-manager.js';

export interface PodSyncDeps {
  runtime: ContainerRuntime;
  /** `docker` or `fake`: the scheme of containerIDs. */
  runtimeName: string;
  client: RestClient;
  recorder: EventRecorder;
  log: Logger;
  clock: Clock;
  nodeName: string;
  hostIP: string;
  allocatable(): Record<string, string>;
  statusManager: StatusManager;
  probes?: ProbeManager | undefined;
  volumes?: VolumeManager | undefined;
  /** Pods' events, the way the pod worker was called for them. */
  onSynced?(pod: WorkerPod, observed: ObservedPod): void;
}

const MIN_GRACE_SECONDS = 2;
/**
 * Upstream runs postStart without a deadline; only the pod's deletion (the sync's signal) ends
 * it. runHook wants a number, and timers take at most 2^31-1 ms (about 24 days).
 */
const NO_HOOK_DEADLINE_MS = 2 ** 31 - 1;

type MutablePod = Pod;

export class PodSync {
  readonly #d: PodSyncDeps;
  readonly backoff: Backoff;
  readonly #imageBackoff: Backoff;
  /** The reason cache: uid → container → why it could not start. */
  readonly #reasons = new Map<string, Map<string, WaitingReason>>();
  /** uid → ids of containers whose liveness or startup probe failed → which probe. */
  readonly #unhealthy = new Map<string, Map<string, UnhealthyProbe>>();
  /** uid → what the runtime held at the last sync (for the probe callbacks and the server). */
  readonly observed = new Map<string, ObservedPod>();
  /** uid → the statuses its last observe got, with the state each had in the list (see observe). */
  readonly #statuses = new Map<string, { sandboxes: Map<string, Listed<PodSandboxStatus>>; containers: Map<string, Listed<RuntimeContainerStatus>> }>();
  /** uid → runtimeState of what its last observe listed. */
  readonly #listed = new Map<string, string>();
  /** uid → runtimeState of what its worker last planned on (see lastSeen). */
  readonly #lastSeen = new Map<string, string>();

  constructor(deps: PodSyncDeps) {
    this.#d = deps;
    this.backoff = new Backoff({ clock: deps.clock });
    this.#imageBackoff = new Backoff({ clock: deps.clock });
  }

  /** A liveness or startup probe failed: the running container of that name gets killed and restarted. */
  markUnhealthy(uid: string, containerName: string, probe: UnhealthyProbe = 'liveness'): void {
    const running = this.observed.get(uid)?.containers.find((c) => c.metadata.name === containerName && c.state === 'running');
    if (!running) return;
    let byId = this.#unhealthy.get(uid);
    if (!byId) this.#unhealthy.set(uid, (byId = new Map()));
    byId.set(running.id, probe);
  }

  /**
   * What the runtime holds for the pod: a list of its sandboxes and one of its containers, and
   * the status of each. A status is fetched again only when the state in the list changed
   * since the last observe: a sandbox's or container's status changes only with its state (a
   * running one's never change, an exited one's are final), so every sync of a pod that
   * did not change would otherwise inspect all of it for nothing.
   */
  async observe(uid: string): Promise<ObservedPod> {
    const rt = this.#d.runtime;
    const [sandboxes, containers] = await Promise.all([rt.listSandboxes({ podUid: uid }), rt.listContainers({ podUid: uid })]);
    const last = this.#statuses.get(uid);
    const next = { sandboxes: new Map<string, Listed<PodSandboxStatus>>(), containers: new Map<string, Listed<RuntimeContainerStatus>>() };
    const [sandboxStatuses, statuses] = await Promise.all([
      statusesOf(sandboxes, last?.sandboxes, next.sandboxes, (id) => rt.sandboxStatus(id)),
      statusesOf(containers, last?.containers, next.containers, (id) => rt.containerStatus(id)),
    ]);
    this.#statuses.set(uid, next);
    this.#listed.set(uid, runtimeState(sandboxes, containers));
    const observed = { sandboxes: sandboxStatuses, containers: statuses };
    this.observed.set(uid, observed);
    return observed;
  }

  /**
   * runtimeState of what the pod worker last planned on: a relist that finds the same has
   * nothing new for it. The observe after starting containers counts when planning on it
   * would do nothing more; one that finds a container already exited does not, so the relist
   * still syncs the pod to restart it.
   */
  lastSeen(uid: string): string | undefined {
    return this.#lastSeen.get(uid);
  }

  #planOn(uid: string): void {
    const listed = this.#listed.get(uid);
    if (listed !== undefined) this.#lastSeen.set(uid, listed);
  }

  async syncPod(pod: WorkerPod, signal: AbortSignal): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? '';
    const log = this.#d.log.child({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}` });
    const reasons = this.#reasonsOf(uid);
    let requeueAfterMs: number | undefined;
    const requeue = (ms: number) => { requeueAfterMs = Math.max(100, Math.min(requeueAfterMs ?? Infinity, ms)); };

    let observed = await this.observe(uid);
    this.#planOn(uid);
    // A pod the kubelet already found terminal only needs its leftovers stopped. The status
    // manager has our latest word on that; the pod's own status may not carry it back yet.
    if (isTerminal(this.#d.statusManager.getPodStatus(uid)?.phase) || isTerminal(pod.status?.phase)) {
      await this.#stopLeftovers(pod, observed);
      return {};
    }

    let volumePaths = new Map<string, string>();
    if (this.#d.volumes) {
      try {
        volumePaths = await this.#d.volumes.setupPod(pod as MutablePod);
      } catch (err) {
        // The pod stays ContainerCreating (no containers yet) and the next sync retries.
        const message = err instanceof VolumeConfigError ? err.eventMessage : `MountVolume.SetUp failed: ${errMessage(err)}`;
        this.#d.recorder.event(pod, 'Warning', FAILED_MOUNT_REASON, message);
        this.#setStatus(pod, observed);
        return { requeueAfterMs: 2000 };
      }
    }
    if (signal.aborted) return {};

    const actions = this.#plan(pod, observed);
    log.debug({ actions }, 'computed pod actions');

    for (const id of actions.containersToRemove) await this.#d.runtime.removeContainer(id).catch(ignoreGone);

    if (actions.killPod) {
      await this.#killPod(pod, observed, this.#gracePeriod(pod), true);
      observed = await this.observe(uid);
    }

    let sandboxId = actions.sandboxId;
    if (actions.createSandbox) {
      if (signal.aborted) return {};
      try {
        sandboxId = await this.#d.runtime.runSandbox(sandboxConfig(pod, actions.attempt));
      } catch (err) {
        this.#d.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errMessage(err)}`);
        this.#setStatus(pod, observed);
        return { requeueAfterMs: 2000 };
      }
      // Only the new sandbox changed (its IP is the pod's): its status is all there is to
      // learn, no need to list the pod again.
      const sandbox = await this.#d.runtime.sandboxStatus(sandboxId).catch(ignoreGone);
      if (sandbox) {
        observed = { ...observed, sandboxes: [sandbox, ...observed.sandboxes] };
        this.#statuses.get(uid)?.sandboxes.set(sandbox.id, { listed: sandbox.state, status: sandbox });
      }
    }

    for (const kill of actions.containersToKill) {
      const spec = findSpec(pod, kill.name);
      await this.#killContainer(pod, kill.id, kill.name, spec, this.#gracePeriod(pod), kill.message);
      this.#unhealthy.get(uid)?.delete(kill.id);
    }

    for (const b of actions.backedOff) {
      reasons.set(b.name, { reason: 'CrashLoopBackOff', message: b.message });
      this.#containerEvent(pod, b.name, 'Warning', 'BackOff', `Back-off restarting failed container ${b.name} in pod ${formatPod(pod)}`);
      requeue(b.retryAtMs - this.#d.clock.now());
    }

    if (sandboxId !== undefined && !actions.initFailed) {
      const sandbox = observed.sandboxes.find((s) => s.id === sandboxId);
      const podIP = pod.spec?.hostNetwork ? this.#d.hostIP : sandbox?.ip;
      const byName = containersByName(observed.containers);
      const starts: { start: ContainerToStart; isInit: boolean }[] = [
        ...(actions.nextInitContainer ? [actions.nextInitContainer] : []), ...actions.initContainersToStart,
      ].map((start) => ({ start, isInit: true }));
      starts.push(...actions.containersToStart.map((start) => ({ start, isInit: false })));
      for (const { start, isInit } of starts) {
        if (signal.aborted) return {};
        const spec = findSpec(pod, start.name);
        if (!spec) continue;
        const retryMs = await this.#startContainer(pod, sandboxId, spec, start, byName.get(start.name)?.[0], podIP, volumePaths, isInit, reasons, log, signal);
        if (retryMs !== undefined) {
          requeue(retryMs);
          // An init container that could not start holds back what follows it; a sidecar does not.
          if (isInit && !isRestartableInitContainer(spec)) break;
        }
      }
      if (starts.length) {
        observed = await this.observe(uid);
        if (isSettled(this.#plan(pod, observed))) this.#planOn(uid);
      }
    }

    const status = this.#setStatus(pod, observed);
    this.#d.onSynced?.(pod, observed);
    // It just finished (restartPolicy Never or OnFailure): stop its sandbox now, as the
    // next sync of a terminal pod would.
    if (isTerminal(status.phase) && isRunning(observed)) await this.#stopLeftovers(pod, observed);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** A terminal pod: stops whatever still runs (its sandbox, mostly) and reports what is left. */
  async #stopLeftovers(pod: WorkerPod, observed: ObservedPod): Promise<void> {
    if (isRunning(observed)) {
      await this.#killPod(pod, observed, 0, false);
      observed = await this.observe(pod.metadata?.uid ?? '');
    }
    this.#setStatus(pod, observed);
  }

  async syncTerminatingPod(pod: WorkerPod, gracePeriodSeconds: number): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const observed = await this.observe(uid);
    await this.#killPod(pod, observed, gracePeriodSeconds, true);
    this.#d.probes?.removePod(uid);
    const after = isRunning(observed) ? await this.observe(uid) : observed;
    this.#setStatus(pod, after, true);
    await this.#d.statusManager.flush(uid);
  }

  async syncTerminatedPod(pod: WorkerPod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    await this.removePodResources(uid);
    await this.#d.volumes?.teardownPod(uid);
    // A pod being deleted gracefully waits for us; a pod already gone needs nothing more.
    if (pod.metadata?.deletionTimestamp) {
      try {
        await this.#d.client.resource('pods').delete(pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
          gracePeriodSeconds: 0, preconditions: { uid },
        });
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof Error && /Precondition failed|UID in precondition/i.test(err.message))) throw err;
      }
    }
    this.forget(uid);
  }

  /** Removes every container and sandbox of the pod (its kill already happened). */
  async removePodResources(uid: string): Promise<void> {
    const rt = this.#d.runtime;
    for (const c of await rt.listContainers({ podUid: uid })) await rt.removeContainer(c.id).catch(ignoreGone);
    for (const s of await rt.listSandboxes({ podUid: uid })) {
      await rt.stopSandbox(s.id).catch(ignoreGone);
      await rt.removeSandbox(s.id).catch(ignoreGone);
    }
  }

  forget(uid: string): void {
    this.#reasons.delete(uid);
    this.#unhealthy.delete(uid);
    this.observed.delete(uid);
    this.#statuses.delete(uid);
    this.#listed.delete(uid);
    this.#lastSeen.delete(uid);
    this.#d.statusManager.removePod(uid);
    this.#d.probes?.removePod(uid);
  }

  #plan(pod: WorkerPod, observed: ObservedPod): PodActions {
    const uid = pod.metadata?.uid ?? '';
    const probes = this.#d.probes;
    return computePodActions({
      pod, observed, backoff: this.backoff, unhealthy: this.#unhealthy.get(uid) ?? new Map(),
      ...(probes ? { isStarted: (name: string) => probes.isStarted(uid, name) } : {}),
    });
  }

  #reasonsOf(uid: string): Map<string, WaitingReason> {
    let m = this.#reasons.get(uid);
    if (!m) this.#reasons.set(uid, (m = new Map()));
    return m;
  }

  #gracePeriod(pod: WorkerPod): number {
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /** An event about one of the pod's containers: involvedObject.fieldPath names it. */
  #containerEvent(pod: WorkerPod, name: string, type: EventType, reason: string, message: string): void {
    const isInit = pod.spec?.initContainers?.some((c) => c.name === name) ?? false;
    const fieldPath = `spec.${isInit ? 'initContainers' : 'containers'}{${name}}`;
    this.#d.recorder.event(pod, type, reason, message, { fieldPath });
  }

  #setStatus(pod: WorkerPod, observed: ObservedPod, terminating = false): PodStatus {
    const uid = pod.metadata?.uid ?? '';
    const probes = this.#d.probes;
    if (probes && !terminating) this.#syncProbes(pod, observed);
    const previous = this.#d.statusManager.getPodStatus(uid);
    const status = generateAPIPodStatus({
      pod, ...(previous ? { previous } : {}), observed, hostIP: this.#d.hostIP, now: new Date(this.#d.clock.now()), runtimeName: this.#d.runtimeName,
      reasons: terminating ? new Map() : this.#reasonsOf(uid),
      ...(probes ? {
        isReady: (name: string) => probes.isReady(uid, name),
        isStarted: (name: string) => probes.isStarted(uid, name),
      } : {}),
    });
    if (terminating && pod.metadata?.deletionTimestamp) {
      // A deleted pod whose containers all stopped is terminal (podIsTerminal).
      const statuses = status.containerStatuses ?? [];
      if (statuses.every((s) => s.state?.terminated || !s.containerID)) {
        status.phase = statuses.every((s) => s.state?.terminated?.exitCode === 0) && statuses.length > 0 ? 'Succeeded' : 'Failed';
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') status.phase = pod.status.phase;
      }
    }
    this.#d.statusManager.setPodStatus(pod, status);
    return status;
  }

  /**
   * Stops the pod's running containers (preStop hooks first) and then its sandboxes. Sidecars
   * stop after the app containers, in reverse order, within the same grace period.
   */
  async #killPod(pod: WorkerPod, observed: ObservedPod, gracePeriodSeconds: number, events: boolean): Promise<void> {
    const running = observed.containers.filter((c) => c.state === 'running' || c.state === 'created');
    const ordering = hasRestartableInitContainer(pod)
      ? new TerminationOrdering(pod, running.map((c) => c.metadata.name), this.#d.clock)
      : undefined;
    await Promise.all(running.map((c) => this.#killContainer(
      pod, c.id, c.metadata.name, findSpec(pod, c.metadata.name), gracePeriodSeconds, undefined, events, ordering,
    )));
    for (const s of observed.sandboxes) if (s.state === 'ready') await this.#d.runtime.stopSandbox(s.id).catch(ignoreGone);
  }

  async #killContainer(
    pod: WorkerPod, id: string, name: string, spec: DeepReadonly<Container> | undefined, gracePeriodSeconds: number,
    message?: string, events = true, ordering?: TerminationOrdering,
  ): Promise<void> {
    if (events) this.#containerEvent(pod, name, 'Normal', 'Killing', message ?? `Stopping container ${name}`);
    const started = this.#d.clock.now();
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && spec && gracePeriodSeconds > 0) {
      try {
        await runHook(this.#d.runtime, id, preStop as never, {
          timeoutMs: gracePeriodSeconds * 1000, pod: pod as MutablePod, container: spec as Container, ...this.#podIPOf(pod),
        });
      } catch (err) {
        // Upstream only logs a preStop that outlived the grace period. The event leaves out
        // the hook's message, which could carry secrets from the command line; the log has it.
        this.#d.log.info({ pod: formatPod(pod), container: name, err: errMessage(err) }, 'preStop hook failed');
        if (!(err instanceof HookTimeoutError)) {
          this.#containerEvent(pod, name, 'Warning', FAILED_PRE_STOP_HOOK.reason, FAILED_PRE_STOP_HOOK.message);
        }
      }
    }
    try {
      // A sidecar's turn comes once the app containers (and later sidecars) have stopped.
      const left = gracePeriodSeconds - (this.#d.clock.now() - started) / 1000;
      if (ordering && left > 0) await ordering.waitForTurn(name, left);
      const elapsed = (this.#d.clock.now() - started) / 1000;
      let remaining = gracePeriodSeconds - elapsed;
      if (gracePeriodSeconds > 0) remaining = Math.max(remaining, MIN_GRACE_SECONDS);
      await this.#d.runtime.stopContainer(id, Math.max(0, Math.ceil(remaining))).catch(ignoreGone);
    } finally {
      ordering?.containerTerminated(name);
    }
  }

  #podIPOf(pod: WorkerPod): { podIP?: string } {
    const ip = pod.status?.podIP;
    return ip ? { podIP: ip } : {};
  }

  /** Starts one container; returns ms after which to retry when it could not. */
  async #startContainer(
    pod: WorkerPod, sandboxId: string, spec: DeepReadonly<Container>, start: ContainerToStart,
    previous: ObservedPod['containers'][number] | undefined, podIP: string | undefined, volumePaths: Map<string, string>,
    isInit: boolean, reasons: Map<string, WaitingReason>, log: Logger, signal: AbortSignal,
  ): Promise<number | undefined> {
    const d = this.#d;
    const name = spec.name;
    const image = spec.image ?? '';
    const pulled = await this.#ensureImage(pod, spec, reasons);
    if (pulled !== true) return pulled;

    let env;
    try {
      env = await makeEnvironmentVariables(pod, spec, {
        getConfigMap: (ns, n) => this.#getOptional<ConfigMap>('configmaps', ns, n),
        getSecret: (ns, n) => this.#getOptional<Secret>('secrets', ns, n),
        hostIP: d.hostIP, ...(podIP ? { podIP } : {}), allocatable: d.allocatable(),
      });
    } catch (err) {
      if (!(err instanceof CreateContainerConfigError)) throw err;
      reasons.set(name, { reason: 'CreateContainerConfigError', message: err.message });
      this.#containerEvent(pod, name, 'Warning', 'Failed', `Error: ${err.message}`);
      return 2000;
    }

    if (start.isRestart && start.lastFinishedAtMs !== undefined) this.backoff.next(backoffKey(pod, name), start.lastFinishedAtMs);
    const attempt = previous ? previous.metadata.attempt + 1 : 0;
    const restartCount = previous ? previous.restartCount + 1 : 0;
    const mounts: Mount[] = d.volumes
      ? d.volumes.mountsFor(pod as MutablePod, spec as Container, volumePaths).map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: m.readOnly }))
      : [];
    const config: ContainerConfig = {
      metadata: { name, attempt },
      image,
      ...expandCommandAndArgs(spec, env),
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      env,
      mounts,
      resources: containerResources(spec as Container),
      securityContext: securityContext(pod, spec),
      labels: { ...pod.metadata?.labels },
      // The hash lets a later sync see that the spec changed (computePodActions restarts it).
      annotations: { ...pod.metadata?.annotations, [CONTAINER_HASH_ANNOTATION]: hashContainer(spec) },
      restartCount,
      ...(spec.tty ? { tty: true } : {}),
      ...(spec.stdin ? { stdin: true } : {}),
      ...(spec.stdinOnce ? { stdinOnce: true } : {}),
    };
    let id: string;
    try {
      id = await d.runtime.createContainer(sandboxId, config);
    } catch (err) {
      const reason = err instanceof ImageNotFoundError ? 'ErrImageNeverPull' : 'CreateContainerError';
      reasons.set(name, { reason, message: errMessage(err) });
      this.#containerEvent(pod, name, 'Warning', 'Failed', `Error: ${errMessage(err)}`);
      return 2000;
    }
    this.#containerEvent(pod, name, 'Normal', 'Created', `Created container ${name}`);
    try {
      await d.runtime.startContainer(id);
    } catch (err) {
      reasons.set(name, { reason: 'RunContainerError', message: errMessage(err) });
      this.#containerEvent(pod, name, 'Warning', 'Failed', `Error: ${errMessage(err)}`);
      return 2000;
    }
    reasons.delete(name);
    this.#containerEvent(pod, name, 'Normal', 'Started', `Started container ${name}`);
    log.info({ container: name, id: id.slice(0, 12), attempt }, 'started container');

    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      try {
        await runHook(d.runtime, id, postStart as never, {
          timeoutMs: NO_HOOK_DEADLINE_MS, signal, pod: pod as MutablePod, container: spec as Container, ...(podIP ? { podIP } : {}),
        });
      } catch (err) {
        // The pod is being deleted: its termination kills the container, and the hook did not fail.
        if (signal.aborted) return undefined;
        // The waiting state carries the hook's message; the event does not (it could leak secrets).
        reasons.set(name, { reason: POST_START_HOOK_ERROR_REASON, message: errMessage(err) });
        this.#containerEvent(pod, name, 'Warning', FAILED_POST_START_HOOK.reason, FAILED_POST_START_HOOK.message);
        await this.#killContainer(pod, id, name, spec, this.#gracePeriod(pod), FAILED_POST_START_HOOK.reason);
        return undefined;
      }
    }
    if ((!isInit || isRestartableInitContainer(spec)) && d.probes) d.probes.addContainer(pod as MutablePod, spec as Container, id, podIP, d.clock.now());
    return undefined;
  }

  /**
   * Probes follow the running instances. A container with no running instance left stops
   * being probed (its readiness must not outlive it). Containers this kubelet did not start
   * (adopted after a restart) still need their probes, or they would never be ready again;
   * addContainer ignores ones it already has.
   */
  #syncProbes(pod: WorkerPod, observed: ObservedPod): void {
    const uid = pod.metadata?.uid ?? '';
    for (const [name, instances] of containersByName(observed.containers)) {
      if (!instances.some((c) => c.state === 'running')) this.#d.probes!.removeContainer(uid, name);
    }
    const podIP = observed.sandboxes.find((s) => s.state === 'ready')?.ip;
    for (const c of observed.containers) {
      if (c.state !== 'running') continue;
      const spec = pod.spec?.containers?.find((x) => x.name === c.metadata.name)
        ?? pod.spec?.initContainers?.find((x) => x.name === c.metadata.name && isRestartableInitContainer(x));
      if (!spec) continue;
      const startedAtMs = c.startedAt ? Date.parse(c.startedAt) : this.#d.clock.now();
      this.#d.probes!.addContainer(pod as MutablePod, spec as Container, c.id, podIP, startedAtMs);
    }
  }

  /** EnsureImageExists: true when the image is there; else ms until the next attempt. */
  async #ensureImage(pod: WorkerPod, spec: DeepReadonly<Container>, reasons: Map<string, WaitingReason>): Promise<true | number> {
    const d = this.#d;
    const image = spec.image ?? '';
    const policy = spec.imagePullPolicy ?? (/:latest$|^[^:]*$/.test(image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent');
    const present = await d.runtime.imageStatus(image);
    if (policy === 'Never') {
      if (present) return true;
      const message = `Container image "${image}" is not present with pull policy of Never`;
      reasons.set(spec.name, { reason: 'ErrImageNeverPull', message });
      this.#containerEvent(pod, spec.name, 'Warning', 'ErrImageNeverPull', message);
      return 10_000;
    }
    if (present && policy === 'IfNotPresent') {
      this.#containerEvent(pod, spec.name, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return true;
    }
    const key = `${pod.metadata?.uid ?? ''}_${image}`;
    const now = d.clock.now();
    if (this.#imageBackoff.isInBackOffSince(key, now)) {
      const message = `Back-off pulling image "${image}"`;
      reasons.set(spec.name, { reason: 'ImagePullBackOff', message });
      this.#containerEvent(pod, spec.name, 'Normal', 'BackOff', message);
      this.#containerEvent(pod, spec.name, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      return Math.max(1000, this.#imageBackoff.get(key) / 2);
    }
    this.#containerEvent(pod, spec.name, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = d.clock.now();
    try {
      await d.runtime.pullImage(image);
    } catch (err) {
      this.#imageBackoff.next(key, now);
      const message = errMessage(err);
      reasons.set(spec.name, { reason: 'ErrImagePull', message });
      this.#containerEvent(pod, spec.name, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      this.#containerEvent(pod, spec.name, 'Warning', 'Failed', 'Error: ErrImagePull');
      return 1000;
    }
    const secs = ((d.clock.now() - started) / 1000).toFixed(3);
    const size = (await d.runtime.imageStatus(image))?.sizeBytes ?? 0;
    this.#containerEvent(pod, spec.name, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting). Image size: ${size} bytes.`);
    return true;
  }

  async #getOptional<T>(resource: 'configmaps' | 'secrets', ns: string, name: string): Promise<T | undefined> {
    try {
      return await this.#d.client.resource(resource).get(ns, name) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

function findSpec(pod: WorkerPod, name: string): DeepReadonly<Container> | undefined {
  return pod.spec?.containers.find((c) => c.name === name) ?? pod.spec?.initContainers?.find((c) => c.name === name);
}

export function sandboxConfig(pod: WorkerPod, attempt: number): PodSandboxConfig {
  const ports: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort,
        ...(p.hostIP ? { hostIp: p.hostIP } : {}),
      });
    }
  }
  const spec = pod.spec;
  return {
    metadata: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '', attempt },
    hostname: spec?.hostname ?? pod.metadata?.name ?? '',
    labels: { ...pod.metadata?.labels },
    annotations: { ...pod.metadata?.annotations },
    hostNetwork: spec?.hostNetwork === true,
    hostPid: spec?.hostPID === true,
    hostIpc: spec?.hostIPC === true,
    shareProcessNamespace: spec?.shareProcessNamespace === true,
    ...(ports.length ? { portMappings: ports } : {}),
  };
}

function securityContext(pod: WorkerPod, spec: DeepReadonly<Container>): ContainerSecurityContext {
  const psc = pod.spec?.securityContext;
  const sc = spec.securityContext;
  const runAsUser = sc?.runAsUser ?? psc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? psc?.runAsGroup;
  return {
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(sc?.privileged ? { privileged: true } : {}),
    ...(sc?.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}

function ignoreGone(err: unknown): undefined {
  if (err instanceof ContainerNotFoundError || err instanceof SandboxNotFoundError) return undefined;
  throw err;
}

function isDefined<T>(v: T | undefined): v is T {
  return v !== undefined;
}

function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Nothing for a sync to do (nor to wait for). */
function isSettled(a: PodActions): boolean {
  return !a.killPod && !a.createSandbox && !a.nextInitContainer && !a.initContainersToStart.length && !a.containersToStart.length
    && !a.containersToKill.length
    && !a.backedOff.length && !a.containersToRemove.length;
}

/** What #killPod would stop: running or created containers, ready sandboxes. */
function isRunning(observed: ObservedPod): boolean {
  return observed.containers.some((c) => c.state === 'running' || c.state === 'created') || observed.sandboxes.some((s) => s.state === 'ready');
}

/** A status and the state its sandbox or container had in the list it was fetched after. */
interface Listed<T> { listed: string; status: T }

/**
 * The statuses of listed sandboxes or containers, reusing last's where the listed state is
 * the same. Not for `created` ones: a failed start leaves a container created, with an error
 * only its status shows. Ones gone by the time they are asked about are left out.
 */
async function statusesOf<T>(
  listed: readonly { id: string; state: string }[], last: Map<string, Listed<T>> | undefined, next: Map<string, Listed<T>>,
  fetch: (id: string) => Promise<T>,
): Promise<T[]> {
  const statuses = await Promise.all(listed.map(async ({ id, state }) => {
    const known = last?.get(id);
    const status = known && known.listed === state && state !== 'created' ? known.status : await fetch(id).catch(ignoreGone);
    if (status !== undefined) next.set(id, { listed: state, status });
    return status;
  }));
  return statuses.filter(isDefined);
}

/** A pod's sandboxes and containers with their listed states, as one string to compare (the relist's record of a pod). */
export function runtimeState(sandboxes: readonly PodSandbox[], containers: readonly RuntimeContainer[]): string {
  return [...sandboxes.map((s) => `s:${s.id}:${s.state}`), ...containers.map((c) => `c:${c.id}:${c.state}`)].sort().join(',');
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

