// When a pod must leave a node because of the node's NoExecute taints (upstream tainteviction:
// getMatchingTolerations, getMinTolerationTime), as a pure function.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../../client/lister.js';
import { toleratesTaint } from '../../api/taints.js';

export type EvictionPlan = { action: 'none' } | { action: 'evict'; atMs: number };

/**
 * none: no NoExecute taint, or every one is tolerated forever; evict at once (atMs = now) if
 * one is not tolerated; otherwise evict when the shortest tolerationSeconds, counted from its
 * taint's timeAdded, runs out.
 */
export function planTaintEviction(
  taints: readonly DeepReadonly<Taint>[] | undefined,
  tolerations: readonly DeepReadonly<Toleration>[] | undefined,
  taintStartMs: (taint: DeepReadonly<Taint>) => number,
  nowMs: number,
): EvictionPlan {
  let atMs = Infinity;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const toleration = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (!toleration) return { action: 'evict', atMs: nowMs };
    const seconds = toleration.tolerationSeconds;
    if (seconds === undefined || seconds === null) continue; // tolerated forever
    atMs = Math.min(atMs, taintStartMs(taint) + Math.max(0, seconds) * 1000);
  }
  return atMs === Infinity ? { action: 'none' } : { action: 'evict', atMs };
}
