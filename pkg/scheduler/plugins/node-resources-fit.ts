// NodeResourcesFit: the pod's request must fit the node's allocatable minus what its
// pods request; scored with the LeastAllocated strategy (cpu and memory, weight 1 each).
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code, MAX_NODE_SCORE, SUCCESS, computePodRequests, newStatus,
  type CycleState, type NodeInfo, type Resource, type SchedulerPlugin, type Status,
} from '../framework/types.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
const PRE_FILTER_KEY = `PreFilter${NODE_RESOURCES_FIT}`;
const PRE_SCORE_KEY = `PreScore${NODE_RESOURCES_FIT}`;

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/** fitsRequest: every resource the pod lacks on the node, pods count first. */
export function fitsRequest(podRequest: Resource, nodeInfo: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber });
  }
  const check = (name: string, req: number, have: number, cap: number) => {
    if (req > 0 && req > cap - have) out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: req, used: have, capacity: cap });
  };
  check('cpu', podRequest.milliCpu, used.milliCpu, alloc.milliCpu);
  check('memory', podRequest.memory, used.memory, alloc.memory);
  check('ephemeral-storage', podRequest.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage);
  for (const [name, req] of Object.entries(podRequest.scalar)) check(name, req, used.scalar[name] ?? 0, alloc.scalar[name] ?? 0);
  return out;
}

/** Whether fitsRequest would find nothing lacking; Filter runs on every node, so the common case allocates nothing. */
function fitsAll(podRequest: Resource, nodeInfo: NodeInfo): boolean {
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) return false;
  const lacks = (req: number, have: number, cap: number) => req > 0 && req > cap - have;
  if (lacks(podRequest.milliCpu, used.milliCpu, alloc.milliCpu)) return false;
  if (lacks(podRequest.memory, used.memory, alloc.memory)) return false;
  if (lacks(podRequest.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage)) return false;
  for (const name in podRequest.scalar) {
    if (lacks(podRequest.scalar[name]!, used.scalar[name] ?? 0, alloc.scalar[name] ?? 0)) return false;
  }
  return true;
}

export function filterNodeResourcesFit(podRequest: Resource, nodeInfo: NodeInfo): Status {
  if (fitsAll(podRequest, nodeInfo)) return SUCCESS;
  const insufficient = fitsRequest(podRequest, nodeInfo);
  if (insufficient.length === 0) return SUCCESS;
  return newStatus(Code.Unschedulable, ...insufficient.map((r) => r.reason));
}

export interface ResourceSpec {
  name: 'cpu' | 'memory' | 'ephemeral-storage' | (string & {});
  weight: number;
}

export const DEFAULT_SCORING_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

function resourceValue(r: Resource, name: string): number {
  if (name === 'cpu') return r.milliCpu;
  if (name === 'memory') return r.memory;
  if (name === 'ephemeral-storage') return r.ephemeralStorage;
  return r.scalar[name] ?? 0;
}

function isScalar(name: string): boolean {
  return name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage';
}

/**
 * resourceAllocationScorer's inputs: per resource, [requested incl. the pod, allocatable].
 * LeastAllocated uses non-zero requests (defaults for pods that set none); BalancedAllocation
 * uses the real ones. Resources the node doesn't have are left out (allocatable 0).
 */
export function allocationInputs(pod: Pod, nodeInfo: NodeInfo, resources: readonly ResourceSpec[], useRequested: boolean): { requested: number[]; allocatable: number[] } {
  const out = { requested: new Array<number>(resources.length), allocatable: new Array<number>(resources.length) };
  allocationInputsInto(out, computePodRequests(pod, { nonZero: !useRequested }), nodeInfo, resources, useRequested);
  return out;
}

/** allocationInputs for a request computed once per cycle, into arrays the caller reuses: Score runs on hundreds of nodes per cycle. */
export function allocationInputsInto(out: { requested: number[]; allocatable: number[] }, podReq: Resource, nodeInfo: NodeInfo, resources: readonly ResourceSpec[], useRequested: boolean): void {
  const nodeReq = useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i]!.name;
    const podValue = resourceValue(podReq, name);
    const alloc = podValue === 0 && isScalar(name) ? 0 : resourceValue(nodeInfo.allocatable, name);
    out.requested[i] = alloc === 0 ? 0 : resourceValue(nodeReq, name) + podValue;
    out.allocatable[i] = alloc;
  }
}

function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated: the weighted mean share of each resource left free, in [0, 100]. */
export function leastAllocatedScore(requested: readonly number[], allocatable: readonly number[], resources: readonly ResourceSpec[]): number {
  let nodeScore = 0;
  let weightSum = 0;
  for (let i = 0; i < resources.length; i++) {
    const alloc = allocatable[i] ?? 0;
    if (alloc === 0) continue;
    const weight = resources[i]!.weight;
    nodeScore += leastRequestedScore(requested[i] ?? 0, alloc) * weight;
    weightSum += weight;
  }
  return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
}

export function nodeResourcesFit(opts: { resources?: readonly ResourceSpec[] } = {}): SchedulerPlugin {
  const resources = opts.resources ?? DEFAULT_SCORING_RESOURCES;
  const inputs = { requested: new Array<number>(resources.length).fill(0), allocatable: new Array<number>(resources.length).fill(0) };
  return {
    name: NODE_RESOURCES_FIT,
    preFilter(state: CycleState, pod: Pod) {
      state.write(PRE_FILTER_KEY, computePodRequests(pod));
      return SUCCESS;
    },
    filter(state, pod, nodeInfo) {
      return filterNodeResourcesFit(state.read<Resource>(PRE_FILTER_KEY) ?? computePodRequests(pod), nodeInfo);
    },
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, computePodRequests(pod, { nonZero: true }));
      return SUCCESS;
    },
    score(state, pod, nodeInfo) {
      const podReq = state.read<Resource>(PRE_SCORE_KEY) ?? computePodRequests(pod, { nonZero: true });
      allocationInputsInto(inputs, podReq, nodeInfo, resources, false);
      return leastAllocatedScore(inputs.requested, inputs.allocatable, resources);
    },
  };
}
