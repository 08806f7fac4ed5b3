// NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred
// terms add their weights to the score.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import { defaultNormalizeScore } from '../framework/default-normalize-score.js';
import { Code, MAX_NODE_SCORE, SUCCESS, newStatus, type SchedulerPlugin, type Status } from '../framework/types.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

type Lookup = (key: string) => string | undefined;

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** One requirement against labels (or fields); an invalid requirement matches nothing. */
export function matchesNodeSelectorRequirement(req: NodeSelectorRequirement, lookup: Lookup): boolean {
  const value = lookup(req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return values.length > 0 && value !== undefined && values.includes(value);
    case 'NotIn':
      return values.length > 0 && (value === undefined || !values.includes(value));
    case 'Exists':
      return values.length === 0 && value !== undefined;
    case 'DoesNotExist':
      return values.length === 0 && value === undefined;
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || value === undefined) return false;
      const want = parseInteger(values[0]!);
      const have = parseInteger(value);
      if (want === undefined || have === undefined) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term ANDs its requirements; an empty term matches nothing. Fields support only metadata.name with In/NotIn. */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  if (!exprs.every((r) => matchesNodeSelectorRequirement(r, (k) => labels[k]))) return false;
  return fields.every((r) => {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn') || (r.values ?? []).length !== 1) return false;
    return matchesNodeSelectorRequirement(r, (k) => (k === 'metadata.name' ? node.metadata?.name ?? '' : undefined));
  });
}

/** Terms are ORed. */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => matchesNodeSelectorTerm(t, node));
}

/** spec.nodeSelector AND required node affinity, as GetRequiredNodeAffinity(pod).Match(node). */
export function podMatchesNodeSelectorAndAffinityTerms(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return matchesNodeSelectorTerms(required.nodeSelectorTerms, node);
}

export function filterNodeAffinity(pod: Pod, node: Node | undefined): Status {
  if (!node) return newStatus(Code.Error, 'node not found');
  return podMatchesNodeSelectorAndAffinityTerms(pod, node) ? SUCCESS : newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_POD);
}

/** The sum of the weights of the preferred terms the node matches. */
export function scoreNodeAffinity(preferred: readonly PreferredSchedulingTerm[] | undefined, node: Node | undefined): number {
  if (!node) return 0;
  let score = 0;
  for (const term of preferred ?? []) if (term.weight !== 0 && matchesNodeSelectorTerm(term.preference, node)) score += term.weight;
  return score;
}

export function nodeAffinity(): SchedulerPlugin {
  return {
    name: NODE_AFFINITY,
    preFilter(_state, pod) {
      const hasSelector = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0;
      const hasRequired = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
      return hasSelector || hasRequired ? SUCCESS : newStatus(Code.Skip);
    },
    filter: (_state, pod, nodeInfo) => filterNodeAffinity(pod, nodeInfo.node),
    preScore(_state, pod) {
      const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      return preferred.length > 0 ? SUCCESS : newStatus(Code.Skip);
    },
    score: (_state, pod, nodeInfo) => scoreNodeAffinity(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, nodeInfo.node),
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(MAX_NODE_SCORE, false, scores),
  };
}
