// InterPodAffinity: required pod (anti-)affinity of the incoming pod, and required
// anti-affinity of pods already placed, filter topology domains; preferred terms (both
// ways) and existing pods' required affinity (hardPodAffinityWeight) score them.
import type { Node, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector, type Selector } from '../../api/labels.js';
import {
  Code, MAX_NODE_SCORE, SUCCESS, newStatus, type CycleState, type NodeInfo, type NodeScore, type SchedulerPlugin, type Status,
} from '../framework/types.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
const PRE_FILTER_KEY = `PreFilter${INTER_POD_AFFINITY}`;
const PRE_SCORE_KEY = `PreScore${INTER_POD_AFFINITY}`;

/** Namespace name → its labels; needed only for terms with a namespaceSelector. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export interface AffinityTerm {
  namespaces: Set<string>;
  selector: Selector;
  topologyKey: string;
  namespaceSelector: Selector;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** framework.newAffinityTerm: no namespaces and no namespaceSelector means the pod's own namespace. */
export function newAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? '');
  return {
    namespaces,
    selector: labelSelectorAsSelector(term.labelSelector),
    topologyKey: term.topologyKey,
    namespaceSelector: labelSelectorAsSelector(term.namespaceSelector),
  };
}

/** AffinityTerm.Matches: namespace listed (or selected by labels) and labels selected. */
export function affinityTermMatches(term: AffinityTerm, pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (term.namespaces.has(ns) || term.namespaceSelector.matches(nsLabels ?? {})) {
    return term.selector.matches(pod.metadata?.labels ?? {});
  }
  return false;
}

function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: Pod): boolean {
  if (terms.length === 0) return false;
  return terms.every((t) => affinityTermMatches(t, pod, undefined));
}

const required = (pod: Pod, terms: readonly PodAffinityTerm[] | undefined) => (terms ?? []).map((t) => newAffinityTerm(pod, t));
const weighted = (pod: Pod, terms: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] =>
  (terms ?? []).map((t) => ({ ...newAffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));

export const requiredAffinityTerms = (pod: Pod) => required(pod, pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
export const requiredAntiAffinityTerms = (pod: Pod) => required(pod, pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
const preferredAffinityTerms = (pod: Pod) => weighted(pod, pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
const preferredAntiAffinityTerms = (pod: Pod) => weighted(pod, pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);

/** An existing pod's parsed terms (upstream keeps them on its PodInfo). */
interface ExistingPodTerms {
  requiredAffinity: AffinityTerm[];
  requiredAnti: AffinityTerm[];
  /** Per requiredAnti term, what it is made of: pods of one workload share terms, matched once per cycle. */
  requiredAntiKeys: string[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAnti: WeightedAffinityTerm[];
}

// Placed pods are read every cycle and never changed (an update brings a new object), so their
// terms are parsed once: parsing the selectors of every placed pod with affinity each cycle was
// a large share of the cycle once a few hundred such pods ran.
const existingTermsCache = new WeakMap<Pod, ExistingPodTerms>();

function existingPodTerms(pod: Pod): ExistingPodTerms {
  let terms = existingTermsCache.get(pod);
  if (!terms) {
    const rawAnti = pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    terms = {
      requiredAffinity: requiredAffinityTerms(pod),
      requiredAnti: requiredAntiAffinityTerms(pod),
      // The namespace matters: a term without namespaces means its pod's own.
      requiredAntiKeys: rawAnti.map((t) => `${pod.metadata?.namespace ?? ''}\0${JSON.stringify(t)}`),
      preferredAffinity: preferredAffinityTerms(pod),
      preferredAnti: preferredAntiAffinityTerms(pod),
    };
    existingTermsCache.set(pod, terms);
  }
  return terms;
}

/** `topologyKey\0value` → count; a pair counted down to zero is removed. */
type TopologyCounts = Map<string, number>;

const pairKey = (key: string, value: string) => `${key}\0${value}`;

function updateCount(m: TopologyCounts, node: Node, topologyKey: string, delta: number): void {
  const value = node.metadata?.labels?.[topologyKey];
  if (value === undefined) return;
  const k = pairKey(topologyKey, value);
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

export interface InterPodAffinityPreFilterState {
  /** Domains holding existing pods whose required anti-affinity the incoming pod matches. */
  existingAntiAffinityCounts: TopologyCounts;
  /** Domains holding pods matching all of the incoming pod's required affinity terms. */
  affinityCounts: TopologyCounts;
  /** Domains holding pods matching one of the incoming pod's required anti-affinity terms. */
  antiAffinityCounts: TopologyCounts;
  affinityTerms: AffinityTerm[];
  antiAffinityTerms: AffinityTerm[];
}

function updateWithPod(s: InterPodAffinityPreFilterState, pod: Pod, existing: Pod, node: Node, delta: number, nsLabels: NamespaceLabels): void {
  countExistingAntiAffinity(s, pod, existing, node, delta, nsLabels(pod.metadata?.namespace ?? ''));
  countIncomingTerms(s, existing, node, delta);
}

/** `matched` remembers, for one incoming pod, whether each distinct term matches it. */
function countExistingAntiAffinity(
  s: InterPodAffinityPreFilterState, pod: Pod, existing: Pod, node: Node, delta: number,
  podNsLabels: Record<string, string> | undefined, matched = new Map<string, boolean>(),
): void {
  const terms = existingPodTerms(existing);
  for (let i = 0; i < terms.requiredAnti.length; i++) {
    const t = terms.requiredAnti[i]!;
    const key = terms.requiredAntiKeys[i]!;
    let matches = matched.get(key);
    if (matches === undefined) matched.set(key, (matches = affinityTermMatches(t, pod, podNsLabels)));
    if (matches) updateCount(s.existingAntiAffinityCounts, node, t.topologyKey, delta);
  }
}

function countIncomingTerms(s: InterPodAffinityPreFilterState, existing: Pod, node: Node, delta: number): void {
  if (podMatchesAllAffinityTerms(s.affinityTerms, existing)) {
    for (const t of s.affinityTerms) updateCount(s.affinityCounts, node, t.topologyKey, delta);
  }
  for (const t of s.antiAffinityTerms) {
    if (affinityTermMatches(t, existing, undefined)) updateCount(s.antiAffinityCounts, node, t.topologyKey, delta);
  }
}

/** Counts, over all nodes, the domains the Filter checks. */
export function computeInterPodAffinityPreFilterState(pod: Pod, nodes: readonly NodeInfo[], nsLabels: NamespaceLabels = () => undefined): InterPodAffinityPreFilterState {
  const s: InterPodAffinityPreFilterState = {
    existingAntiAffinityCounts: new Map(),
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
    affinityTerms: requiredAffinityTerms(pod),
    antiAffinityTerms: requiredAntiAffinityTerms(pod),
  };
  const incomingHasTerms = s.affinityTerms.length > 0 || s.antiAffinityTerms.length > 0;
  const podNsLabels = nsLabels(pod.metadata?.namespace ?? '');
  const matched = new Map<string, boolean>();
  for (const nodeInfo of nodes) {
    const node = nodeInfo.node;
    if (!node) continue;
    // Two passes, as upstream: placed pods' anti-affinity only where such pods run, and the
    // incoming pod's own terms against every pod only when it has terms.
    for (const existing of nodeInfo.podsWithRequiredAntiAffinity) countExistingAntiAffinity(s, pod, existing, node, 1, podNsLabels, matched);
    if (incomingHasTerms) for (const existing of nodeInfo.pods) countIncomingTerms(s, existing, node, 1);
  }
  return s;
}

export function filterInterPodAffinity(s: InterPodAffinityPreFilterState, pod: Pod, node: Node): Status {
  const labels = node.metadata?.labels ?? {};
  if (!satisfiesPodAffinity(s, pod, labels)) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_AFFINITY_RULES_NOT_MATCH);
  for (const t of s.antiAffinityTerms) {
    const value = labels[t.topologyKey];
    if (value !== undefined && (s.antiAffinityCounts.get(pairKey(t.topologyKey, value)) ?? 0) > 0) {
      return newStatus(Code.Unschedulable, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
  }
  if (s.existingAntiAffinityCounts.size > 0) {
    for (const [key, value] of Object.entries(labels)) {
      if ((s.existingAntiAffinityCounts.get(pairKey(key, value)) ?? 0) > 0) {
        return newStatus(Code.Unschedulable, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
      }
    }
  }
  return SUCCESS;
}

function satisfiesPodAffinity(s: InterPodAffinityPreFilterState, pod: Pod, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.affinityTerms) {
    const value = labels[t.topologyKey];
    if (value === undefined) return false; // every topology key must be on the node
    if ((s.affinityCounts.get(pairKey(t.topologyKey, value)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group with affinity to itself: allowed while no pod anywhere matches.
  return s.affinityCounts.size === 0 && podMatchesAllAffinityTerms(s.affinityTerms, pod);
}

function cloneState(s: InterPodAffinityPreFilterState): InterPodAffinityPreFilterState {
  return {
    ...s,
    existingAntiAffinityCounts: new Map(s.existingAntiAffinityCounts),
    affinityCounts: new Map(s.affinityCounts),
    antiAffinityCounts: new Map(s.antiAffinityCounts),
  };
}

/** topologyKey → value → summed weight. */
type ScoreMap = Map<string, Map<string, number>>;

function processTerm(m: ScoreMap, term: AffinityTerm, weight: number, pod: Pod, nsLabels: Record<string, string> | undefined, node: Node, multiplier: number): void {
  if (!affinityTermMatches(term, pod, nsLabels)) return;
  const value = node.metadata?.labels?.[term.topologyKey];
  if (value === undefined) return;
  let byValue = m.get(term.topologyKey);
  if (!byValue) m.set(term.topologyKey, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + weight * multiplier);
}

function hasLabels(node: Node): boolean {
  for (const _ in node.metadata?.labels ?? {}) return true;
  return false;
}

/** PreScore: weights per topology domain from every placed pod, in both directions. */
export function computeInterPodAffinityScoreMap(pod: Pod, allNodes: readonly NodeInfo[], hardPodAffinityWeight = 1, nsLabels: NamespaceLabels = () => undefined): ScoreMap {
  const m: ScoreMap = new Map();
  const preferredAffinity = preferredAffinityTerms(pod);
  const preferredAnti = preferredAntiAffinityTerms(pod);
  const incomingHasPreferred = preferredAffinity.length > 0 || preferredAnti.length > 0;
  const podNsLabels = nsLabels(pod.metadata?.namespace ?? '');
  for (const nodeInfo of allNodes) {
    const node = nodeInfo.node;
    const existingPods = incomingHasPreferred ? nodeInfo.pods : nodeInfo.podsWithAffinity;
    if (!node || existingPods.length === 0 || !hasLabels(node)) continue;
    for (const existing of existingPods) {
      for (const t of preferredAffinity) processTerm(m, t, t.weight, existing, undefined, node, 1);
      for (const t of preferredAnti) processTerm(m, t, t.weight, existing, undefined, node, -1);
      const terms = existingPodTerms(existing);
      if (hardPodAffinityWeight > 0) {
        for (const t of terms.requiredAffinity) processTerm(m, t, hardPodAffinityWeight, pod, podNsLabels, node, 1);
      }
      for (const t of terms.preferredAffinity) processTerm(m, t, t.weight, pod, podNsLabels, node, 1);
      for (const t of terms.preferredAnti) processTerm(m, t, t.weight, pod, podNsLabels, node, -1);
    }
  }
  return m;
}

export function scoreInterPodAffinity(m: ScoreMap, node: Node | undefined): number {
  let score = 0;
  for (const [key, byValue] of m) {
    const value = node?.metadata?.labels?.[key];
    if (value !== undefined) score += byValue.get(value) ?? 0;
  }
  return score;
}

/** Min-max scaling to [0, 100]; scores may be negative before it. */
export function normalizeInterPodAffinityScores(scores: NodeScore[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    min = Math.min(min, s.score);
    max = Math.max(max, s.score);
  }
  const diff = max - min;
  for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
}

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  namespaceLabels?: NamespaceLabels;
}

export function interPodAffinity(args: InterPodAffinityArgs = {}): SchedulerPlugin {
  const nsLabels = args.namespaceLabels ?? (() => undefined);
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  const read = (state: CycleState) => state.read<InterPodAffinityPreFilterState>(PRE_FILTER_KEY);
  const update = (state: CycleState, pod: Pod, other: Pod, nodeInfo: NodeInfo, delta: number): Status => {
    const s = read(state);
    if (!s || !nodeInfo.node) return SUCCESS;
    // CycleState.clone() is shallow: preemption's copies must not share counts.
    const next = cloneState(s);
    updateWithPod(next, pod, other, nodeInfo.node, delta, nsLabels);
    state.write(PRE_FILTER_KEY, next);
    return SUCCESS;
  };
  return {
    name: INTER_POD_AFFINITY,
    preFilter(state, pod, nodes) {
      const s = computeInterPodAffinityPreFilterState(pod, nodes, nsLabels);
      // Like upstream's Skip when no pod has terms, also when no placed pod's anti-affinity matches
      // this one: Filter would pass every node, and removing or re-adding placed pods (preemption)
      // cannot make a count appear.
      if (s.affinityTerms.length === 0 && s.antiAffinityTerms.length === 0 && s.existingAntiAffinityCounts.size === 0) return newStatus(Code.Skip);
      state.write(PRE_FILTER_KEY, s);
      return SUCCESS;
    },
    addPod: (state, pod, podToAdd, nodeInfo) => update(state, pod, podToAdd, nodeInfo, 1),
    removePod: (state, pod, podToRemove, nodeInfo) => update(state, pod, podToRemove, nodeInfo, -1),
    filter(state, pod, nodeInfo) {
      const s = read(state) ?? computeInterPodAffinityPreFilterState(pod, state.nodes, nsLabels);
      if (!nodeInfo.node) return newStatus(Code.Error, 'node not found');
      return filterInterPodAffinity(s, pod, nodeInfo.node);
    },
    preScore(state, pod) {
      const m = computeInterPodAffinityScoreMap(pod, state.nodes, hardWeight, nsLabels);
      if (m.size === 0) return newStatus(Code.Skip);
      state.write(PRE_SCORE_KEY, m);
      return SUCCESS;
    },
    score: (state, _pod, nodeInfo) => scoreInterPodAffinity(state.read<ScoreMap>(PRE_SCORE_KEY) ?? new Map(), nodeInfo.node),
    normalizeScore: (_state, _pod, scores) => normalizeInterPodAffinityScores(scores),
  };
}
