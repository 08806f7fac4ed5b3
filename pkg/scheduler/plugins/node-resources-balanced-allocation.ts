// NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in
// similar proportions once the pod is placed.
import { MAX_NODE_SCORE, SUCCESS, computePodRequests, type Resource, type SchedulerPlugin } from '../framework/types.js';
import { DEFAULT_SCORING_RESOURCES, allocationInputsInto, type ResourceSpec } from './node-resources-fit.js';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';
const PRE_SCORE_KEY = `PreScore${NODE_RESOURCES_BALANCED_ALLOCATION}`;

/** Reused by every call: Score runs on hundreds of nodes per cycle, one at a time. */
const fractionsBuffer: number[] = [];

/** (1 - standard deviation of the used fractions) × 100, truncated. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions = fractionsBuffer;
  fractions.length = 0;
  for (let i = 0; i < requested.length; i++) {
    const alloc = allocatable[i] ?? 0;
    if (alloc === 0) continue;
    fractions.push(Math.min(requested[i]! / alloc, 1));
  }
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
  const inputs = { requested: new Array<number>(resources.length).fill(0), allocatable: new Array<number>(resources.length).fill(0) };
  return {
    name: NODE_RESOURCES_BALANCED_ALLOCATION,
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, computePodRequests(pod));
      return SUCCESS;
    },
    score(state, pod, nodeInfo) {
      const podReq = state.read<Resource>(PRE_SCORE_KEY) ?? computePodRequests(pod);
      allocationInputsInto(inputs, podReq, nodeInfo, resources, true);
      return balancedResourceScore(inputs.requested, inputs.allocatable);
    },
  };
}
