// computePodActions (kuberuntime_manager.go) as a pure function: the pod's spec plus what the
// runtime holds for it become plain data — kill the pod, (re)create the sandbox, the init
// containers to run, app containers to start or to hold in CrashLoopBackOff, containers to kill
// (failed probes, changed specs) and dead ones to prune. sync-pod.ts applies it in order.
//
// A pod with sidecars (init containers with restartPolicy Always) is planned as upstream plans
// it with SidecarContainers on (computeInitContainerActions); other pods keep the sequential
// init path (findNextInitContainerToRun), as upstream 1.32 does.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../client/lister.js';
import { formatDuration } from './backoff.js';
import { containerChanged } from './container-hash.js';
import type { PodSandboxStatus, RuntimeContainerStatus } from './runtime/runtime.js';

export type ReadonlyPod = Pod | DeepReadonly<Pod>;
type SpecContainer = Container | DeepReadonly<Container>;

/** What the runtime holds for one pod. */
export interface ObservedPod {
  sandboxes: readonly PodSandboxStatus[];
  containers: readonly RuntimeContainerStatus[];
}

/** The part of Backoff the planner reads; it never records anything. */
export interface BackoffView {
  get(key: string): number;
  isInBackOffSince(key: string, eventTimeMs: number): boolean;
}

export interface ContainerToStart {
  name: string;
  /** It ran before: starting it again counts as a restart and feeds the back-off. */
  isRestart: boolean;
  /** Its previous instance finished at (ms), the back-off's event time. */
  lastFinishedAtMs?: number;
}

export interface ContainerToKill { id: string; name: string; message?: string }

export interface BackedOffContainer { name: string; message: string; retryAtMs: number }

export interface PodActions {
  /** Stop every container and the sandbox first (sandbox changed, or the pod is done). */
  killPod: boolean;
  createSandbox: boolean;
  /** The attempt number of the sandbox to create. */
  attempt: number;
  /** The ready sandbox the containers run in, when no new one is needed. */
  sandboxId?: string;
  /** Init container to start next (legacy sequential init containers). */
  nextInitContainer?: ContainerToStart;
  /**
   * Init containers to start, in spec order, for pods with sidecars: the next one in the
   * sequence and sidecars to restart (those keep running, and restarting, next to the app).
   */
  initContainersToStart: ContainerToStart[];
  /** An init container failed and restartPolicy is Never: the pod has failed. */
  initFailed: boolean;
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
  /** Containers and init containers waiting out a CrashLoopBackOff. */
  backedOff: BackedOffContainer[];
  /** Exited containers older than the two latest of each name. */
  containersToRemove: string[];
}

/** The probe whose failure gets a container killed. */
export type UnhealthyProbe = 'liveness' | 'startup';

export interface PlanInput {
  pod: ReadonlyPod;
  observed: ObservedPod;
  backoff: BackoffView;
  /**
   * Ids of running containers whose liveness or startup probe failed, with the probe (it
   * names the probe in the Killing message); a bare set means liveness.
   */
  unhealthy?: ReadonlySet<string> | ReadonlyMap<string, UnhealthyProbe>;
  /**
   * Whether a running container's startup probe has passed (asked only for containers that
   * have one); true when not given. A sidecar lets the next init container start only then.
   */
  isStarted?: (containerName: string, containerId: string) => boolean;
}

/** podutil.IsRestartableInitContainer: a sidecar. */
export function isRestartableInitContainer(c: { readonly restartPolicy?: string | undefined } | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

export function hasRestartableInitContainer(pod: ReadonlyPod): boolean {
  return pod.spec?.initContainers?.some((c) => isRestartableInitContainer(c)) ?? false;
}

/** A pod's containers of one name, newest first (by attempt, then creation). */
export function containersByName(containers: readonly RuntimeContainerStatus[]): Map<string, RuntimeContainerStatus[]> {
  const out = new Map<string, RuntimeContainerStatus[]>();
  for (const c of containers) {
    const list = out.get(c.metadata.name) ?? [];
    list.push(c);
    out.set(c.metadata.name, list);
  }
  for (const list of out.values()) {
    list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }
  return out;
}

/** Newest sandbox first. */
export function sortedSandboxes(sandboxes: readonly PodSandboxStatus[]): PodSandboxStatus[] {
  return [...sandboxes].sort((a, b) => b.metadata.attempt - a.metadata.attempt || Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** `name_namespace(uid)`: format.Pod, as messages name pods. */
export function formatPod(pod: ReadonlyPod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

export function backoffKey(pod: ReadonlyPod, containerName: string): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}_${pod.metadata?.uid ?? ''}_${containerName}`;
}

export function restartPolicyOf(pod: ReadonlyPod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

function isExited(c: RuntimeContainerStatus | undefined): c is RuntimeContainerStatus {
  return c !== undefined && (c.state === 'exited' || c.state === 'unknown');
}

/** isInitContainerFailed. */
function isInitContainerFailed(c: RuntimeContainerStatus): boolean {
  return c.state === 'unknown' || (c.state === 'exited' && c.exitCode !== 0);
}

/** hasAnyRegularContainerCreated: initialization finished before (pods with sidecars). */
function hasAnyRegularContainerCreated(pod: ReadonlyPod, byName: Map<string, RuntimeContainerStatus[]>): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const state = byName.get(c.name)?.[0]?.state;
    return state === 'created' || state === 'running' || state === 'exited';
  });
}

/** kubecontainer.ShouldContainerBeRestarted. */
export function shouldContainerBeRestarted(pod: ReadonlyPod, latest: RuntimeContainerStatus | undefined): boolean {
  if (latest === undefined) return true;
  if (latest.state === 'running') return false;
  if (latest.state === 'created') return true;
  const policy = restartPolicyOf(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && latest.exitCode === 0) return false;
  return true;
}

function toStart(latest: RuntimeContainerStatus | undefined, name: string): ContainerToStart {
  if (!latest) return { name, isRestart: false };
  const finished = latest.finishedAt ? Date.parse(latest.finishedAt) : NaN;
  return { name, isRestart: true, ...(Number.isFinite(finished) ? { lastFinishedAtMs: finished } : {}) };
}

interface NextInit { next?: { container: SpecContainer; latest?: RuntimeContainerStatus }; failed?: RuntimeContainerStatus; done: boolean }

/** findNextInitContainerToRun for sequential (non-sidecar) init containers. */
export function findNextInitContainerToRun(pod: ReadonlyPod, byName: Map<string, RuntimeContainerStatus[]>): NextInit {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  // Any app container that ran means initialization finished before.
  for (const c of pod.spec?.containers ?? []) if ((byName.get(c.name)?.length ?? 0) > 0) return { done: true };
  for (let i = inits.length - 1; i >= 0; i--) {
    const latest = byName.get(inits[i]?.name ?? '')?.[0];
    if (isExited(latest) && latest.exitCode !== 0) {
      return { next: { container: inits[i] as SpecContainer, latest }, failed: latest, done: false };
    }
  }
  for (const container of inits) {
    const latest = byName.get(container.name)?.[0];
    if (latest === undefined || latest.state === 'created') return { next: { container, ...(latest ? { latest } : {}) }, done: false };
    if (latest.state === 'running') return { done: false };
    // exited 0: on to the next one
  }
  return { done: true };
}

export function computePodActions(input: PlanInput): PodActions {
  const { pod, observed, backoff } = input;
  const unhealthy: ReadonlySet<string> | ReadonlyMap<string, UnhealthyProbe> = input.unhealthy ?? new Set<string>();
  const policy = restartPolicyOf(pod);
  const byName = containersByName(observed.containers);
  const sandboxes = sortedSandboxes(observed.sandboxes);
  const latestSandbox = sandboxes[0];
  const withSidecars = hasRestartableInitContainer(pod);
  const actions: PodActions = {
    killPod: false, createSandbox: false, attempt: 0, initFailed: false, initContainersToStart: [],
    containersToStart: [], containersToKill: [], backedOff: [], containersToRemove: pruneDead(byName),
  };

  const checkBackoff = (start: ContainerToStart): boolean => {
    if (!start.isRestart || start.lastFinishedAtMs === undefined) return false;
    const key = backoffKey(pod, start.name);
    if (!backoff.isInBackOffSince(key, start.lastFinishedAtMs)) return false;
    const ms = backoff.get(key);
    actions.backedOff.push({
      name: start.name,
      message: `back-off ${formatDuration(ms)} restarting failed container=${start.name} pod=${formatPod(pod)}`,
      retryAtMs: start.lastFinishedAtMs + ms,
    });
    return true;
  };

  // podSandboxChanged: no sandbox, or the newest one is not ready (or has lost its IP).
  const sandboxChanged = latestSandbox === undefined || latestSandbox.state !== 'ready'
    || (!latestSandbox.hostNetwork && !latestSandbox.ip && pod.spec?.hostNetwork !== true)
    || sandboxes.filter((s) => s.state === 'ready').length > 1;
  if (sandboxChanged) {
    actions.attempt = latestSandbox ? latestSandbox.metadata.attempt + 1 : 0;
    actions.killPod = observed.containers.some((c) => c.state === 'running') || sandboxes.some((s) => s.state === 'ready');
    actions.createSandbox = true;
    if (policy === 'Never' && latestSandbox !== undefined && observed.containers.length > 0) {
      // A finished (or broken) pod that must not restart stays down.
      actions.createSandbox = false;
      return actions;
    }
    const containersToStart: ContainerToStart[] = [];
    for (const c of pod.spec?.containers ?? []) {
      const latest = byName.get(c.name)?.[0];
      if (policy === 'OnFailure' && isExited(latest) && latest.exitCode === 0) continue;
      containersToStart.push(toStart(latest, c.name));
    }
    const hasInitialized = withSidecars ? hasAnyRegularContainerCreated(pod, byName) : findNextInitContainerToRun(pod, byName).done;
    if (containersToStart.length === 0 && hasInitialized && observed.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const firstInit = pod.spec?.initContainers?.[0];
    if (firstInit) {
      const start = toStart(byName.get(firstInit.name)?.[0], firstInit.name);
      if (withSidecars) actions.initContainersToStart = [start];
      else actions.nextInitContainer = start;
      return actions;
    }
    actions.containersToStart = containersToStart;
    return actions;
  }
  actions.sandboxId = latestSandbox.id;

  if (withSidecars) {
    const initialized = computeInitContainerActions(pod, byName, actions, {
      policy, unhealthy, isStarted: input.isStarted ?? (() => true), checkBackoff,
    });
    // Initialization failed or is still in progress: the app containers wait.
    if (actions.killPod || !initialized) return actions;
  } else {
    const init = findNextInitContainerToRun(pod, byName);
    if (!init.done) {
      if (init.failed) {
        if (policy === 'Never') {
          actions.initFailed = true;
          actions.killPod = true;
          return actions;
        }
      }
      if (init.next) {
        const start = toStart(init.next.latest, init.next.container.name);
        // A created-but-never-started container is simply started again.
        if (!checkBackoff(start)) actions.nextInitContainer = start;
      }
      return actions;
    }
  }

  let keepCount = 0;
  for (const c of pod.spec?.containers ?? []) {
    const instances = byName.get(c.name) ?? [];
    const running = instances.filter((i) => i.state === 'running');
    // Only one instance of a name may run; older duplicates are killed.
    for (const extra of running.slice(1)) actions.containersToKill.push({ id: extra.id, name: c.name });
    const latest = instances[0];
    const current = running[0];
    if (current === undefined || current !== latest) {
      if (current !== undefined) actions.containersToKill.push({ id: current.id, name: c.name });
      if (shouldContainerBeRestarted(pod, latest)) {
        const start = toStart(latest, c.name);
        if (!checkBackoff(start)) actions.containersToStart.push(start);
        else keepCount++;
      }
      continue;
    }
    if (containerChanged(c, current.annotations)) {
      // Restarted whatever the restart policy: the spec asks for a different container.
      actions.containersToKill.push({ id: current.id, name: c.name, message: `Container ${c.name} definition changed, will be restarted` });
      actions.containersToStart.push({ name: c.name, isRestart: true });
      continue;
    }
    if (unhealthy.has(current.id)) {
      const restart = policy !== 'Never';
      const probe = unhealthy instanceof Map ? unhealthy.get(current.id) ?? 'liveness' : 'liveness';
      actions.containersToKill.push({
        id: current.id, name: c.name,
        message: `Container ${c.name} failed ${probe} probe${restart ? ', will be restarted' : ''}`,
      });
      if (restart) {
        // The replacement starts at once; the back-off applies only to crashes.
        actions.containersToStart.push({ name: c.name, isRestart: true });
      }
      continue;
    }
    keepCount++;
  }
  if (keepCount === 0 && actions.containersToStart.length === 0) {
    actions.killPod = true;
    // The app is done: its sidecars must not keep the pod alive, nor be restarted.
    actions.initContainersToStart = [];
    actions.backedOff = [];
  }
  return actions;
}

interface InitContext {
  policy: 'Always' | 'OnFailure' | 'Never';
  unhealthy: ReadonlySet<string> | ReadonlyMap<string, UnhealthyProbe>;
  isStarted: (containerName: string, containerId: string) => boolean;
  /** True when the start must wait out a CrashLoopBackOff (it is then recorded as backed off). */
  checkBackoff: (start: ContainerToStart) => boolean;
}

/**
 * computeInitContainerActions (kuberuntime_container.go, SidecarContainers): fills
 * initContainersToStart and containersToKill, and says whether the pod has initialized. Init
 * containers are walked from the last one back, since the kubelet must rely on the fewest
 * statuses (finished ones may have been removed): the first with a status tells how far
 * initialization got; before it, only sidecars still need anything (restarts).
 */
function computeInitContainerActions(
  pod: ReadonlyPod, byName: Map<string, RuntimeContainerStatus[]>, actions: PodActions, ctx: InitContext,
): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;
  // A created or running app container means initialization finished before, even if some
  // init containers' statuses are gone. An exited one does not: after a reboot every
  // container is exited and the new sandbox must initialize again.
  let podHasInitialized = (pod.spec?.containers ?? []).some((c) => {
    const state = byName.get(c.name)?.[0]?.state;
    return state === 'created' || state === 'running';
  });
  let isPreviouslyInitialized = podHasInitialized;
  const starts = new Map<number, ContainerToStart>();
  const start = (i: number, s: ContainerToStart) => { if (!starts.has(i)) starts.set(i, s); };
  const next = (i: number) => {
    const c = inits[i + 1];
    if (c) start(i + 1, toStart(byName.get(c.name)?.[0], c.name));
  };
  const probeOf = (id: string): UnhealthyProbe | undefined => {
    if (!ctx.unhealthy.has(id)) return undefined;
    return ctx.unhealthy instanceof Map ? ctx.unhealthy.get(id) ?? 'liveness' : 'liveness';
  };

  for (let i = inits.length - 1; i >= 0; i--) {
    const container = inits[i] as SpecContainer;
    const name = container.name;
    const latest = byName.get(name)?.[0];
    const restartable = isRestartableInitContainer(container);
    if (latest === undefined) {
      // Its status is gone after initialization: a sidecar must run again.
      if (isPreviouslyInitialized && restartable) start(i, { name, isRestart: false });
      continue;
    }
    // After initialization only the sidecars need to be kept running.
    if (isPreviouslyInitialized && !restartable) continue;

    if (latest.state === 'created') {
      // Created but never started (the runtime failed to start it): start it again.
      start(i, toStart(latest, name));
    } else if (latest.state === 'running') {
      if (restartable) {
        const probe = probeOf(latest.id);
        let startedUp = true;
        if (container.startupProbe) {
          if (probe === 'startup') {
            actions.containersToKill.push({ id: latest.id, name, message: `Init container ${name} failed startup probe` });
            start(i, { name, isRestart: true });
            startedUp = false;
          } else if (!ctx.isStarted(name, latest.id)) {
            // The next init container waits for the startup probe to pass.
            startedUp = false;
          }
        }
        if (startedUp) {
          if (i === inits.length - 1) podHasInitialized = true;
          else if (!isPreviouslyInitialized) next(i);
          if (containerChanged(container, latest.annotations)) {
            actions.containersToKill.push({ id: latest.id, name, message: `Init container ${name} definition changed` });
            start(i, { name, isRestart: true });
          } else if (probe === 'liveness') {
            actions.containersToKill.push({ id: latest.id, name, message: `Init container ${name} failed liveness probe` });
            start(i, { name, isRestart: true });
          }
        }
      }
      // A running regular init container: nothing to do but wait for it to finish.
    } else if (restartable) {
      // A sidecar that exited is restarted whatever the pod's restartPolicy; one in an unknown
      // state may still run, so it is killed first.
      if (latest.state === 'unknown') {
        actions.containersToKill.push({ id: latest.id, name, message: 'Init container is in "unknown" state, try killing it before restart' });
      }
      start(i, toStart(latest, name));
    } else if (isInitContainerFailed(latest)) {
      if (ctx.policy === 'Never') {
        actions.killPod = true;
        actions.initFailed = true;
        actions.initContainersToStart = [];
        return false;
      }
      start(i, toStart(latest, name));
    } else if (i === inits.length - 1) {
      podHasInitialized = true;
    } else {
      next(i);
    }
    isPreviouslyInitialized = true;
  }
  // No init container has a status yet: the first one starts.
  if (!isPreviouslyInitialized) start(0, toStart(byName.get(inits[0]?.name ?? '')?.[0], inits[0]?.name ?? ''));

  for (const i of [...starts.keys()].sort((a, b) => a - b)) {
    const s = starts.get(i) as ContainerToStart;
    if (!ctx.checkBackoff(s)) actions.initContainersToStart.push(s);
  }
  return podHasInitialized;
}

function pruneDead(byName: Map<string, RuntimeContainerStatus[]>): string[] {
  const out: string[] = [];
  for (const list of byName.values()) {
    for (const c of list.slice(2)) if (c.state !== 'running') out.push(c.id);
  }
  return out;
}
