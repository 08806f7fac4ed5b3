// Pod predicates the workload controllers share (upstream api/v1/pod util and controller_utils).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../../client/lister.js';

type ReadonlyPod = DeepReadonly<Pod>;

export function readyCondition(pod: ReadonlyPod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: ReadonlyPod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became Ready, in ms; undefined when it isn't ready or says no time. */
export function podReadyTime(pod: ReadonlyPod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  return Date.parse(c.lastTransitionTime);
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: ReadonlyPod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds === 0) return true;
  const since = podReadyTime(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** Neither finished nor being deleted (controller.IsPodActive). */
export function isPodActive(pod: ReadonlyPod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function podKey(pod: ReadonlyPod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
