// TaintToleration: NoSchedule/NoExecute taints the pod doesn't tolerate exclude the node;
// untolerated PreferNoSchedule taints lower its score.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalizeScore } from '../framework/default-normalize-score.js';
import { Code, MAX_NODE_SCORE, SUCCESS, newStatus, type SchedulerPlugin, type Status } from '../framework/types.js';
import { tolerationsTolerateTaint } from '../../api/taints.js';

export const TAINT_TOLERATION = 'TaintToleration';

/** v1.Toleration.ToleratesTaint. */
/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !tolerationsTolerateTaint(tolerations, taint));
}

export function filterTaintToleration(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined): Status {
  const taint = findUntoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute']);
  if (!taint) return SUCCESS;
  return newStatus(Code.UnschedulableAndUnresolvable, `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
}

/** How many PreferNoSchedule taints the pod doesn't tolerate; only its PreferNoSchedule or effect-less tolerations count. */
export function countIntolerableTaintsPreferNoSchedule(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined): number {
  const relevant = (tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return (taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(relevant, t)).length;
}

export function taintToleration(): SchedulerPlugin {
  return {
    name: TAINT_TOLERATION,
    filter: (_state, pod, nodeInfo) => {
      const taints = nodeInfo.node?.spec?.taints;
      return taints && taints.length > 0 ? filterTaintToleration(taints, pod.spec?.tolerations) : SUCCESS;
    },
    score: (_state, pod, nodeInfo) => {
      const taints = nodeInfo.node?.spec?.taints;
      return taints && taints.length > 0 ? countIntolerableTaintsPreferNoSchedule(taints, pod.spec?.tolerations) : 0;
    },
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(MAX_NODE_SCORE, true, scores),
  };
}
