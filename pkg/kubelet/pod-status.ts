// generateAPIPodStatus (kubelet_pods.go) as a pure function: what the runtime holds for a pod,
// the waiting reasons of its last sync and its probe results become the PodStatus Kubernetes
// reports — phase as getPhase computes it, the kubelet-owned conditions, container states.
import type {
  ContainerState, ContainerStatus, PodCondition, PodStatus,
} from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../client/lister.js';
import { containersByName, isRestartableInitContainer, sortedSandboxes, type ObservedPod, type ReadonlyPod } from './plan.js';
import type { RuntimeContainerStatus } from './runtime/runtime.js';

export interface WaitingReason { reason: string; message: string }

export interface PodStatusInput {
  pod: ReadonlyPod;
  /**
   * The status the kubelet computed last (its status manager's), when it has one: the pod's
   * own may not carry our last write back yet (kubelet_pods.go reads the status manager's
   * too). Phase, startTime and the kubelet's conditions carry over from it; conditions other
   * components own come from the pod.
   */
  previous?: PodStatus | DeepReadonly<PodStatus>;
  observed: ObservedPod;
  /** The node's IP: hostIP, and podIP of hostNetwork pods. */
  hostIP: string;
  now: Date;
  /** `docker`, `fake`: the scheme of containerID. */
  runtimeName: string;
  /** The reason cache: why the last sync could not start a container (ErrImagePull, CrashLoopBackOff, ...). */
  reasons?: ReadonlyMap<string, WaitingReason>;
  /** Readiness of a running container; running containers are ready when not given. */
  isReady?: (containerName: string, containerId: string) => boolean;
  /** Whether a running container's startup probe has passed; true when not given. */
  isStarted?: (containerName: string, containerId: string) => boolean;
}

type Status = DeepReadonly<PodStatus> | PodStatus | undefined;

function fmtList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function terminatedState(c: RuntimeContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: rfc3339(c.startedAt) } : {}),
      ...(c.finishedAt ? { finishedAt: rfc3339(c.finishedAt) } : {}),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

/** Kubernetes' Time has second precision. */
function rfc3339(t: string | Date): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function isExited(c: RuntimeContainerStatus | undefined): c is RuntimeContainerStatus {
  return c !== undefined && (c.state === 'exited' || c.state === 'unknown');
}

/** convertToAPIContainerStatuses for one list of spec containers. */
function containerStatuses(
  input: PodStatusInput, specs: readonly { name: string; image?: string | undefined; restartPolicy?: string | undefined }[], isInit: boolean,
  byName: Map<string, RuntimeContainerStatus[]>,
): ContainerStatus[] {
  const hasInit = (input.pod.spec?.initContainers?.length ?? 0) > 0;
  const out: ContainerStatus[] = [];
  for (const spec of specs) {
    const [latest, previous] = byName.get(spec.name) ?? [];
    const status: ContainerStatus = {
      name: spec.name, state: {}, lastState: {}, ready: false, restartCount: 0,
      image: spec.image ?? '', imageID: '', started: false,
    };
    if (!latest) {
      status.state = { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
    } else {
      status.containerID = `${input.runtimeName}://${latest.id}`;
      status.imageID = latest.imageRef;
      status.restartCount = latest.restartCount;
      // A sidecar is probed like an app container: started and ready follow its probes.
      const probed = !isInit || isRestartableInitContainer(spec);
      if (latest.state === 'running') {
        status.state = { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } };
        if (probed) {
          status.started = input.isStarted?.(spec.name, latest.id) ?? true;
          status.ready = status.started && (input.isReady?.(spec.name, latest.id) ?? true);
        } else {
          status.started = true;
        }
      } else if (isExited(latest)) {
        status.state = terminatedState(latest, input.runtimeName);
        if (!probed) status.ready = latest.exitCode === 0;
      } else {
        status.state = { waiting: { reason: 'ContainerCreating' } };
      }
      if (isExited(previous)) status.lastState = terminatedState(previous, input.runtimeName);
    }
    const cached = input.reasons?.get(spec.name);
    if (cached && latest?.state !== 'running') {
      if (status.state.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: cached.reason, ...(cached.message ? { message: cached.message } : {}) } };
      status.ready = false;
    }
    out.push(status);
  }
  return out;
}

/** getPhase: the pod's phase from its containers' states. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export function getPhase(pod: ReadonlyPod, initStatuses: readonly ContainerStatus[], statuses: readonly ContainerStatus[]): PodPhase {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (isRestartableInitContainer(c)) continue; // counted below, with the app containers
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) { pendingInitialization++; continue; }
    if (s.state?.running) pendingInitialization++;
    else if (s.state?.terminated) { if (s.state.terminated.exitCode !== 0) failedInitialization++; }
    else if (s.state?.waiting) {
      if (s.lastState?.terminated) { if (s.lastState.terminated.exitCode !== 0) failedInitialization++; }
      else pendingInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0; let running = 0; let waiting = 0; let stopped = 0; let succeeded = 0;
  // Sidecars: a running one counts as running (and as pending initialization until it has
  // started); a stopped one does not count at all, so a Job-like pod completes without them.
  for (const c of pod.spec?.initContainers ?? []) {
    if (!isRestartableInitContainer(c)) continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) { unknown++; continue; }
    if (s.state?.running) { if (!s.started) pendingInitialization++; running++; }
    else if (s.state?.terminated) { /* not counted */ }
    else if (s.state?.waiting) { if (!s.lastState?.terminated) { pendingInitialization++; waiting++; } }
    else { pendingInitialization++; unknown++; }
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) { unknown++; continue; }
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting) { if (s.lastState?.terminated) stopped++; else waiting++; }
    else unknown++;
  }
  if (failedInitialization > 0 && policy === 'Never') return 'Failed';
  const anyAppStarted = statuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  if ((pendingInitialization > 0 && !anyAppStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return {
    type, status: ok ? 'True' : 'False',
    ...(reason ? { reason } : {}), ...(message ? { message } : {}),
  } as PodCondition;
}

/**
 * GeneratePodInitializedCondition. statuses (the app containers') are optional: with them, an
 * app container that ever ran means initialized, while a sidecar restarts.
 */
export function initializedCondition(
  pod: ReadonlyPod, initStatuses: readonly ContainerStatus[], phase: string | undefined, statuses: readonly ContainerStatus[] = [],
): PodCondition {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return condition('Initialized', true);
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    // isInitContainerInitialized: a sidecar once it has started, a regular one once it succeeded.
    else if (isRestartableInitContainer(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('Initialized', true, 'PodCompleted');
  if (hasAnyRegularContainerStarted(pod, statuses)) return condition('Initialized', true);
  if (unknown.length) return condition('Initialized', false, 'ContainersNotInitialized', `containers with unknown status: ${fmtList(unknown)}`);
  if (incomplete.length) return condition('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: ${fmtList(incomplete)}`);
  return condition('Initialized', true);
}

/** HasAnyRegularContainerStarted. */
function hasAnyRegularContainerStarted(pod: ReadonlyPod, statuses: readonly ContainerStatus[]): boolean {
  return statuses.some((s) => (pod.spec?.containers ?? []).some((c) => c.name === s.name) && (s.state?.running || s.state?.terminated));
}

/** GenerateContainersReadyCondition: sidecars (from initStatuses) count first, then the app containers. */
export function containersReadyCondition(
  pod: ReadonlyPod, statuses: readonly ContainerStatus[], phase: string | undefined, initStatuses: readonly ContainerStatus[] = [],
): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    if (!isRestartableInitContainer(c)) continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('ContainersReady', false, 'PodCompleted');
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${fmtList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${fmtList(unready)}`);
  if (messages.length) return condition('ContainersReady', false, 'ContainersNotReady', messages.join(', '));
  return condition('ContainersReady', true);
}

export function readyCondition(pod: ReadonlyPod, containersReady: PodCondition, conditions: readonly PodCondition[]): PodCondition {
  if (containersReady.status !== 'True') {
    return { ...containersReady, type: 'Ready' };
  }
  const unready: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) unready.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') unready.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (unready.length) return condition('Ready', false, 'ReadinessGatesNotReady', unready.join(', '));
  return condition('Ready', true);
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

/** Carries lastTransitionTime over from the old condition when its status did not change. */
function withTransitionTimes(conditions: PodCondition[], old: Status, now: Date): PodCondition[] {
  return conditions.map((c) => {
    const prev = old?.conditions?.find((o) => o.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    return { type: c.type, status: c.status, lastProbeTime: null, lastTransitionTime, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) } as unknown as PodCondition;
  });
}

export function generateAPIPodStatus(input: PodStatusInput): PodStatus {
  const { pod, observed } = input;
  const old: Status = input.previous ?? pod.status;
  const byName = containersByName(observed.containers);
  const initStatuses = containerStatuses(input, pod.spec?.initContainers ?? [], true, byName);
  const statuses = containerStatuses(input, pod.spec?.containers ?? [], false, byName);
  let phase: string = getPhase(pod, initStatuses, statuses);
  // A terminal phase never changes again (the apiserver refuses it too).
  const terminal = [old?.phase, pod.status?.phase].find((p) => p === 'Failed' || p === 'Succeeded');
  if (terminal) phase = terminal;

  const sandbox = sortedSandboxes(observed.sandboxes)[0];
  const hostNetwork = pod.spec?.hostNetwork === true;
  const podIP = hostNetwork ? (sandbox ? input.hostIP : undefined) : sandbox?.ip;
  const sandboxReady = sandbox !== undefined && sandbox.state === 'ready' && (hostNetwork || sandbox.ip !== undefined);

  const initialized = initializedCondition(pod, initStatuses, phase, statuses);
  const containersReady = containersReadyCondition(pod, statuses, phase, initStatuses);
  const others = (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type)).map((c) => structuredClone(c) as PodCondition);
  if (!others.some((c) => c.type === 'PodScheduled')) {
    // No scheduler set it (spec.nodeName was given): ours, with the time we first said so.
    const ours = old?.conditions?.find((c) => c.type === 'PodScheduled');
    others.unshift(ours ? structuredClone(ours) as PodCondition
      : { ...condition('PodScheduled', true), lastProbeTime: null, lastTransitionTime: rfc3339(input.now) } as unknown as PodCondition);
  }
  const ready = readyCondition(pod, containersReady, others);
  const conditions = withTransitionTimes([
    condition('PodReadyToStartContainers', sandboxReady), initialized, ready, containersReady,
  ], old, input.now);
  const qosClass = pod.status?.qosClass ?? old?.qosClass;
  const status: PodStatus = {
    phase,
    conditions: [...conditions, ...others],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old?.startTime ?? rfc3339(input.now),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    ...(qosClass ? { qosClass } : {}),
  };
  return status;
}

