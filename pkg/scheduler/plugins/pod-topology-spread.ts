// PodTopologySpread: DoNotSchedule constraints filter domains whose skew would exceed
// maxSkew; ScheduleAnyway constraints score emptier domains higher. Cluster-level
// default constraints are off: only the pod's own constraints apply.
import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector, type Selector } from '../../api/labels.js';
import {
  Code, MAX_NODE_SCORE, SUCCESS, newStatus, type CycleState, type NodeInfo, type NodeScore, type SchedulerPlugin, type Status,
} from '../framework/types.js';
import { podMatchesNodeSelectorAndAffinityTerms } from './node-affinity.js';
import { findUntoleratedTaint } from './taint-toleration.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = "node(s) didn't match pod topology spread constraints (missing required label)";
const PRE_FILTER_KEY = `PreFilter${POD_TOPOLOGY_SPREAD}`;
const PRE_SCORE_KEY = `PreScore${POD_TOPOLOGY_SPREAD}`;
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

export function spreadConstraints(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c: TopologySpreadConstraint) => c.whenUnsatisfiable === action)
    .map((c) => {
      // matchLabelKeys adds the pod's own values for those keys to the selector.
      const ls = structuredClone(c.labelSelector ?? {});
      for (const key of c.matchLabelKeys ?? []) {
        const value = pod.metadata?.labels?.[key];
        if (value !== undefined) (ls.matchExpressions ??= []).push({ key, operator: 'In', values: [value] });
      }
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector: labelSelectorAsSelector(c.labelSelector ? ls : undefined),
        minDomains: c.minDomains ?? 1,
        nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
        nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
      };
    });
}

function nodeHasAllKeys(node: Node, constraints: readonly SpreadConstraint[]): boolean {
  const labels = node.metadata?.labels ?? {};
  return constraints.every((c) => labels[c.topologyKey] !== undefined);
}

/** Whether the constraint counts this node's pods (nodeAffinityPolicy / nodeTaintsPolicy). */
function matchesNodeInclusionPolicies(c: SpreadConstraint, pod: Pod, node: Node): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !podMatchesNodeSelectorAndAffinityTerms(pod, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

export function countPodsMatchSelector(pods: readonly Pod[], selector: Selector, namespace: string): number {
  let n = 0;
  for (const p of pods) {
    if (!p.metadata?.deletionTimestamp && (p.metadata?.namespace ?? '') === namespace && selector.matches(p.metadata?.labels ?? {})) n++;
  }
  return n;
}

export interface SpreadPreFilterState {
  constraints: SpreadConstraint[];
  /** Per constraint: topology value → matching pods. */
  tpValueToMatchNum: Map<string, number>[];
}

export function computeSpreadPreFilterState(pod: Pod, nodes: readonly NodeInfo[]): SpreadPreFilterState {
  const constraints = spreadConstraints(pod, 'DoNotSchedule');
  const tpValueToMatchNum = constraints.map(() => new Map<string, number>());
  if (constraints.length === 0) return { constraints, tpValueToMatchNum };
  const namespace = pod.metadata?.namespace ?? '';
  for (const nodeInfo of nodes) {
    const node = nodeInfo.node;
    if (!node || !nodeHasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!matchesNodeInclusionPolicies(c, pod, node)) return;
      const value = node.metadata!.labels![c.topologyKey]!;
      const m = tpValueToMatchNum[i]!;
      m.set(value, (m.get(value) ?? 0) + countPodsMatchSelector(nodeInfo.pods, c.selector, namespace));
    });
  }
  return { constraints, tpValueToMatchNum };
}

/** The global minimum: 0 while fewer domains than minDomains exist. */
function minMatchNum(s: SpreadPreFilterState, i: number): number {
  const m = s.tpValueToMatchNum[i]!;
  if (m.size < s.constraints[i]!.minDomains) return 0;
  return m.size === 0 ? 0 : Math.min(...m.values());
}

export function filterPodTopologySpread(s: SpreadPreFilterState, pod: Pod, node: Node): Status {
  const labels = node.metadata?.labels ?? {};
  for (const [i, c] of s.constraints.entries()) {
    const value = labels[c.topologyKey];
    if (value === undefined) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_NODE_LABEL_NOT_MATCH);
    const selfMatch = c.selector.matches(pod.metadata?.labels ?? {}) ? 1 : 0;
    const skew = (s.tpValueToMatchNum[i]!.get(value) ?? 0) + selfMatch - minMatchNum(s, i);
    if (skew > c.maxSkew) return newStatus(Code.Unschedulable, ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return SUCCESS;
}

function updateWithPod(s: SpreadPreFilterState, pod: Pod, other: Pod, node: Node, delta: number): SpreadPreFilterState {
  if (!nodeHasAllKeys(node, s.constraints) || (other.metadata?.namespace ?? '') !== (pod.metadata?.namespace ?? '')) return s;
  const next = { constraints: s.constraints, tpValueToMatchNum: s.tpValueToMatchNum.map((m) => new Map(m)) };
  s.constraints.forEach((c, i) => {
    if (!matchesNodeInclusionPolicies(c, pod, node) || !c.selector.matches(other.metadata?.labels ?? {})) return;
    const value = node.metadata!.labels![c.topologyKey]!;
    const m = next.tpValueToMatchNum[i]!;
    m.set(value, (m.get(value) ?? 0) + delta);
  });
  return next;
}

export interface SpreadPreScoreState {
  constraints: SpreadConstraint[];
  ignoredNodes: Set<string>;
  topologyValueToPodCounts: Map<string, number>[];
  topologyNormalizingWeight: number[];
}

/** Counts matching pods per domain of the feasible nodes, over every node of the snapshot. */
export function computeSpreadPreScoreState(pod: Pod, filteredNodes: readonly NodeInfo[], allNodes: readonly NodeInfo[]): SpreadPreScoreState {
  const constraints = spreadConstraints(pod, 'ScheduleAnyway');
  const s: SpreadPreScoreState = {
    constraints,
    ignoredNodes: new Set(),
    topologyValueToPodCounts: constraints.map(() => new Map()),
    topologyNormalizingWeight: [],
  };
  // No ScheduleAnyway constraint: PreScore skips (checked by the caller), no need to count.
  if (constraints.length === 0) return s;
  const topoSize = constraints.map(() => 0);
  for (const nodeInfo of filteredNodes) {
    const node = nodeInfo.node;
    if (!node || !nodeHasAllKeys(node, constraints)) {
      s.ignoredNodes.add(nodeInfo.name);
      continue;
    }
    constraints.forEach((c, i) => {
      // Hostname domains are counted in Score straight from the node.
      if (c.topologyKey === HOSTNAME_LABEL) return;
      const m = s.topologyValueToPodCounts[i]!;
      const value = node.metadata!.labels![c.topologyKey]!;
      if (!m.has(value)) {
        m.set(value, 0);
        topoSize[i]!++;
      }
    });
  }
  s.topologyNormalizingWeight = constraints.map((c, i) =>
    Math.log((c.topologyKey === HOSTNAME_LABEL ? filteredNodes.length - s.ignoredNodes.size : topoSize[i]!) + 2),
  );
  const namespace = pod.metadata?.namespace ?? '';
  for (const nodeInfo of allNodes) {
    const node = nodeInfo.node;
    if (!node) continue;
    constraints.forEach((c, i) => {
      if (c.topologyKey === HOSTNAME_LABEL || !matchesNodeInclusionPolicies(c, pod, node)) return;
      const value = node.metadata?.labels?.[c.topologyKey];
      const m = s.topologyValueToPodCounts[i]!;
      if (value === undefined || !m.has(value)) return;
      m.set(value, m.get(value)! + countPodsMatchSelector(nodeInfo.pods, c.selector, namespace));
    });
  }
  return s;
}

export function scorePodTopologySpread(s: SpreadPreScoreState, pod: Pod, nodeInfo: NodeInfo): number {
  const node = nodeInfo.node;
  if (!node || s.ignoredNodes.has(nodeInfo.name)) return 0;
  let score = 0;
  s.constraints.forEach((c, i) => {
    const value = node.metadata?.labels?.[c.topologyKey];
    if (value === undefined) return;
    const count = c.topologyKey === HOSTNAME_LABEL
      ? countPodsMatchSelector(nodeInfo.pods, c.selector, pod.metadata?.namespace ?? '')
      : s.topologyValueToPodCounts[i]!.get(value) ?? 0;
    score += count * s.topologyNormalizingWeight[i]! + (c.maxSkew - 1);
  });
  return Math.round(score);
}

/** Fewer matching pods is better: inverted against the max; ignored nodes get 0. */
export function normalizePodTopologySpreadScores(s: SpreadPreScoreState, scores: NodeScore[]): void {
  let min = Infinity;
  let max = 0;
  for (const sc of scores) {
    if (s.ignoredNodes.has(sc.name)) continue;
    min = Math.min(min, sc.score);
    max = Math.max(max, sc.score);
  }
  for (const sc of scores) {
    if (s.ignoredNodes.has(sc.name)) sc.score = 0;
    else if (max === 0) sc.score = MAX_NODE_SCORE;
    else sc.score = Math.trunc((MAX_NODE_SCORE * (max + min - sc.score)) / max);
  }
}

export function podTopologySpread(): SchedulerPlugin {
  const read = (state: CycleState) => state.read<SpreadPreFilterState>(PRE_FILTER_KEY);
  const update = (state: CycleState, pod: Pod, other: Pod, nodeInfo: NodeInfo, delta: number): Status => {
    const s = read(state);
    if (s && nodeInfo.node) state.write(PRE_FILTER_KEY, updateWithPod(s, pod, other, nodeInfo.node, delta));
    return SUCCESS;
  };
  return {
    name: POD_TOPOLOGY_SPREAD,
    preFilter(state, pod, nodes) {
      const s = computeSpreadPreFilterState(pod, nodes);
      if (s.constraints.length === 0) return newStatus(Code.Skip);
      state.write(PRE_FILTER_KEY, s);
      return SUCCESS;
    },
    addPod: (state, pod, podToAdd, nodeInfo) => update(state, pod, podToAdd, nodeInfo, 1),
    removePod: (state, pod, podToRemove, nodeInfo) => update(state, pod, podToRemove, nodeInfo, -1),
    filter(state, pod, nodeInfo) {
      const s = read(state) ?? computeSpreadPreFilterState(pod, state.nodes);
      if (!nodeInfo.node) return newStatus(Code.Error, 'node not found');
      return filterPodTopologySpread(s, pod, nodeInfo.node);
    },
    preScore(state, pod, filteredNodes) {
      const s = computeSpreadPreScoreState(pod, filteredNodes, state.nodes);
      if (s.constraints.length === 0) return newStatus(Code.Skip);
      state.write(PRE_SCORE_KEY, s);
      return SUCCESS;
    },
    score: (state, pod, nodeInfo) => scorePodTopologySpread(state.read<SpreadPreScoreState>(PRE_SCORE_KEY)!, pod, nodeInfo),
    normalizeScore: (state, _pod, scores) => normalizePodTopologySpreadScores(state.read<SpreadPreScoreState>(PRE_SCORE_KEY)!, scores),
  };
}
