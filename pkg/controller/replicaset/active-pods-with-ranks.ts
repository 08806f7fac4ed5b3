// Which pods a ReplicaSet deletes first when it scales down (controller_utils.go
// ActivePodsWithRanks.Less, with the LogarithmicScaleDown and PodDeletionCost gates on, as
// they are by default): the cheapest pod to lose goes first.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../../client/lister.js';
import { isPodReady, podReadyTime } from './pod-readiness.js';

type ReadonlyPod = DeepReadonly<Pod>;

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export interface RankedPod { pod: ReadonlyPod; rank: number }

/** Negative when a should be deleted before b. */
export function comparePodsForDeletion(a: RankedPod, b: RankedPod, nowMs: number): number {
  const pa = a.pod, pb = b.pod;
  // 1. Unassigned < assigned
  const assignedA = !!pa.spec?.nodeName, assignedB = !!pb.spec?.nodeName;
  if (assignedA !== assignedB) return assignedA ? 1 : -1;
  // 2. Pending < Unknown < Running
  const phaseA = PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0, phaseB = PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  // 3. Not ready < ready
  const readyA = isPodReady(pa), readyB = isPodReady(pb);
  if (readyA !== readyB) return readyA ? 1 : -1;
  // 4. Lower pod-deletion-cost < higher
  const costA = deletionCost(pa), costB = deletionCost(pb);
  if (costA !== costB) return costA - costB;
  // 5. Doubled up (more related pods on the same node) < not doubled up
  if (a.rank !== b.rank) return b.rank - a.rank;
  // 6. Ready for a shorter time < longer
  if (readyA && readyB) {
    const ta = podReadyTime(pa), tb = podReadyTime(pb);
    if (ta !== tb) {
      const r = compareTimes(ta, tb, nowMs, pa, pb);
      if (r !== 0) return r;
    }
  }
  // 7. More container restarts < fewer
  const restartsA = maxContainerRestarts(pa), restartsB = maxContainerRestarts(pb);
  if (restartsA !== restartsB) return restartsB - restartsA;
  // 8. Newer < older
  const ca = createdAt(pa), cb = createdAt(pb);
  if (ca !== cb) return compareTimes(ca, cb, nowMs, pa, pb);
  return 0;
}

/** Zero time first, then newer first, compared in log2 buckets of age (ties: by UID). */
function compareTimes(ta: number | undefined, tb: number | undefined, nowMs: number, pa: ReadonlyPod, pb: ReadonlyPod): number {
  if (ta === undefined || tb === undefined) {
    // afterOrZero: a zero time sorts first
    if (ta === undefined) return tb === undefined ? 0 : -1;
    return 1;
  }
  const diff = logRank(nowMs - ta) - logRank(nowMs - tb);
  if (diff !== 0) return diff;
  const ua = pa.metadata?.uid ?? '', ub = pb.metadata?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** int(log2(d)) over nanoseconds, -1 for no age, as logarithmicRankDiff does. */
function logRank(ageMs: number): number {
  return ageMs > 0 ? Math.floor(Math.log2(ageMs * 1e6)) : -1;
}

function createdAt(pod: ReadonlyPod): number | undefined {
  const t = pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : undefined;
}

function deletionCost(pod: ReadonlyPod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^-?\d+$/.test(v)) return 0;
  return Number(v);
}

function maxContainerRestarts(pod: ReadonlyPod): number {
  let max = 0;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) max = Math.max(max, s.restartCount);
  return max;
}

/**
 * The diff pods to delete: when not all go, rank each by how many related pods (of the same
 * owner's ReplicaSets) share its node, and sort (getPodsToDelete).
 */
export function podsToDelete(filtered: readonly ReadonlyPod[], related: readonly ReadonlyPod[], diff: number, nowMs: number): ReadonlyPod[] {
  if (diff >= filtered.length) return [...filtered];
  const onNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked: RankedPod[] = filtered.map((pod) => ({ pod, rank: pod.spec?.nodeName ? onNode.get(pod.spec.nodeName) ?? 0 : 0 }));
  ranked.sort((a, b) => comparePodsForDeletion(a, b, nowMs));
  return ranked.slice(0, diff).map((r) => r.pod);
}
