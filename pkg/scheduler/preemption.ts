// DefaultPreemption (PostFilter): when a pod fits nowhere, find per node the fewest
// lower-priority pods whose removal makes it fit, and pick the node upstream would.
// Returns plain data; the caller evicts the victims and sets status.nominatedNodeName.
// PodDisruptionBudgets are not considered (every candidate violates none).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { fitErrorMessage, type Framework } from './framework/runtime.js';
import {
  Code, SUCCESS, isSuccess, newStatus, podPriority, statusMessage,
  type CycleState, type NodeInfo, type SchedulerPlugin, type Status,
} from './framework/types.js';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const NO_VICTIMS_MSG = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL_MSG = 'Preemption is not helpful for scheduling';

export interface PreemptionCandidate {
  nodeName: string;
  /** Most important first. */
  victims: Pod[];
  numPDBViolations: number;
}

/** GetPodStartTime: pods not started yet count as starting now. */
function podStartTimeMs(pod: Pod, nowMs: number): number {
  const t = pod.status?.startTime;
  return t ? Date.parse(t) : nowMs;
}

/** util.MoreImportantPod: higher priority, then the one that started earlier. */
export function moreImportantPod(a: Pod, b: Pod, nowMs = Date.now()): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTimeMs(a, nowMs) < podStartTimeMs(b, nowMs);
}

const byImportance = (nowMs: number) => (a: Pod, b: Pod) => (moreImportantPod(a, b, nowMs) ? -1 : moreImportantPod(b, a, nowMs) ? 1 : 0);

/**
 * SelectVictimsOnNode: remove every lower-priority pod; if the pod then fits, add them
 * back most important first, keeping each one that still leaves room.
 */
export function selectVictimsOnNode(fwk: Framework, cycleState: CycleState, pod: Pod, original: NodeInfo, nowMs = Date.now()): { victims: Pod[]; status: Status } {
  const state = cycleState.clone();
  const nodeInfo = original.clone();
  const priority = podPriority(pod);
  const potential = nodeInfo.pods.filter((p) => podPriority(p) < priority);
  if (potential.length === 0) return { victims: [], status: newStatus(Code.UnschedulableAndUnresolvable, NO_VICTIMS_MSG) };
  for (const p of potential) {
    nodeInfo.removePod(p);
    const s = fwk.runPreFilterRemovePod(state, pod, p, nodeInfo);
    if (!isSuccess(s)) return { victims: [], status: s };
  }
  const fits = fwk.runFilterPlugins(state, pod, nodeInfo);
  if (!isSuccess(fits)) return { victims: [], status: fits };

  const victims: Pod[] = [];
  for (const p of [...potential].sort(byImportance(nowMs))) {
    nodeInfo.addPod(p);
    fwk.runPreFilterAddPod(state, pod, p, nodeInfo);
    if (isSuccess(fwk.runFilterPlugins(state, pod, nodeInfo))) continue;
    nodeInfo.removePod(p);
    fwk.runPreFilterRemovePod(state, pod, p, nodeInfo);
    victims.push(p);
  }
  victims.sort(byImportance(nowMs));
  return { victims, status: SUCCESS };
}

/**
 * pickOneNodeForPreemption: fewest PDB violations, then the lowest highest-priority
 * victim, the smallest priority sum, the fewest victims, the latest start among the
 * highest-priority victims, then the first.
 */
export function pickOneNodeForPreemption(candidates: readonly PreemptionCandidate[], nowMs = Date.now()): PreemptionCandidate | undefined {
  const criteria: ((c: PreemptionCandidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -(c.victims.length ? podPriority(c.victims[0]!) : -Infinity),
    // Offset so negative priorities still add up as "more victims is worse".
    (c) => -c.victims.reduce((sum, v) => sum + podPriority(v) + 2 ** 31, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfHighestPriority(c.victims, nowMs),
  ];
  const withoutVictims = candidates.find((c) => c.victims.length === 0);
  if (withoutVictims) return withoutVictims;
  let remaining = [...candidates];
  for (const score of criteria) {
    if (remaining.length <= 1) break;
    const best = Math.max(...remaining.map(score));
    remaining = remaining.filter((c) => score(c) === best);
  }
  return remaining[0];
}

function earliestStartOfHighestPriority(victims: readonly Pod[], nowMs: number): number {
  if (victims.length === 0) return -Infinity;
  const top = Math.max(...victims.map(podPriority));
  return Math.min(...victims.filter((v) => podPriority(v) === top).map((v) => podStartTimeMs(v, nowMs)));
}

export interface PreemptResult {
  candidate?: PreemptionCandidate;
  /** Success with a candidate, otherwise why not (the plugin prefixes "preemption: "). */
  status: Status;
}

/** Evaluator.Preempt without the side effects. */
export function preempt(fwk: Framework, state: CycleState, pod: Pod, nodes: readonly NodeInfo[], filterStatuses: ReadonlyMap<string, Status>, nowMs = Date.now()): PreemptResult {
  const notEligible = podEligibleToPreemptOthers(pod, nodes, filterStatuses);
  if (notEligible) return { status: newStatus(Code.Unschedulable, notEligible) };

  const nodeToStatus = new Map<string, Status>();
  const candidates: PreemptionCandidate[] = [];
  for (const nodeInfo of nodes) {
    if (filterStatuses.get(nodeInfo.name)?.code === Code.UnschedulableAndUnresolvable) {
      nodeToStatus.set(nodeInfo.name, newStatus(Code.UnschedulableAndUnresolvable, NOT_HELPFUL_MSG));
      continue;
    }
    const { victims, status } = selectVictimsOnNode(fwk, state, pod, nodeInfo, nowMs);
    if (isSuccess(status) && victims.length > 0) {
      candidates.push({ nodeName: nodeInfo.name, victims, numPDBViolations: 0 });
      continue;
    }
    nodeToStatus.set(nodeInfo.name, isSuccess(status) ? newStatus(Code.Error, `expected at least one victim pod on node "${nodeInfo.name}"`) : status);
  }
  if (candidates.length === 0) {
    const msg = fitErrorMessage({ pod, numAllNodes: nodes.length, diagnosis: { nodeToStatus, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' } });
    return { status: newStatus(Code.Unschedulable, msg) };
  }
  const candidate = pickOneNodeForPreemption(candidates, nowMs)!;
  return { candidate, status: SUCCESS };
}

/** PodEligibleToPreemptOthers: undefined when eligible, otherwise the reason. */
function podEligibleToPreemptOthers(pod: Pod, nodes: readonly NodeInfo[], filterStatuses: ReadonlyMap<string, Status>): string | undefined {
  if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.status?.nominatedNodeName;
  if (nominated && filterStatuses.get(nominated)?.code !== Code.UnschedulableAndUnresolvable) {
    const nodeInfo = nodes.find((n) => n.name === nominated);
    const priority = podPriority(pod);
    // A victim of an earlier preemption is still terminating: wait for it instead of preempting more.
    if (nodeInfo?.pods.some((p) => p.metadata?.deletionTimestamp && podPriority(p) < priority)) {
      return 'not eligible due to a terminating pod on the nominated node.';
    }
  }
  return undefined;
}

export function defaultPreemption(framework: () => Framework, clock: () => number = Date.now): SchedulerPlugin {
  return {
    name: DEFAULT_PREEMPTION,
    postFilter(state, pod, filterStatuses) {
      const { candidate, status } = preempt(framework(), state, pod, state.nodes, filterStatuses, clock());
      if (!candidate) return { status: newStatus(status.code, `preemption: ${statusMessage(status)}`) };
      return { result: { nominatedNodeName: candidate.nodeName, victims: candidate.victims }, status };
    },
  };
}
