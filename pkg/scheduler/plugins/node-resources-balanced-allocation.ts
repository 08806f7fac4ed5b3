// NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in
// similar proportions once the pod is placed.
import { MAX_NODE_SCORE, type SchedulerPlugin } from '../framework/types.js';
import { DEFAULT_SCORING_RESOURCES, allocationInputs, type ResourceSpec } from './node-resources-fit.js';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** (1 - standard deviation of the used fractions) × 100, truncated. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  requested.forEach((req, i) => {
    const alloc = allocatable[i] ?? 0;
    if (alloc === 0) return;
    fractions.push(Math.min(req / alloc, 1));
  });
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function nodeResourcesBalancedAllocation(opts: { resources?: readonly ResourceSpec[] } = {}): SchedulerPlugin {
  const resources = opts.resources ?? DEFAULT_SCORING_RESOURCES;
  return {
    name: NODE_RESOURCES_BALANCED_ALLOCATION,
    score(_state, pod, nodeInfo) {
      const { requested, allocatable } = allocationInputs(pod, nodeInfo, resources, true);
      return balancedResourceScore(requested, allocatable);
    },
  };
}
