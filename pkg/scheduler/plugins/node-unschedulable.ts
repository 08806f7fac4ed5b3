// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating
// the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { Code, SUCCESS, newStatus, type SchedulerPlugin, type Status } from '../framework/types.js';
import { tolerationsTolerateTaint } from '../../api/taints.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_UNKNOWN_CONDITION = 'node(s) had unknown conditions';

export function filterNodeUnschedulable(pod: Pod, node: Node | undefined): Status {
  if (!node) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_UNKNOWN_CONDITION);
  if (!node.spec?.unschedulable) return SUCCESS;
  const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  if (tolerationsTolerateTaint(pod.spec?.tolerations, taint)) return SUCCESS;
  return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_UNSCHEDULABLE);
}

export function nodeUnschedulable(): SchedulerPlugin {
  return { name: NODE_UNSCHEDULABLE, filter: (_state, pod, nodeInfo) => filterNodeUnschedulable(pod, nodeInfo.node) };
}
