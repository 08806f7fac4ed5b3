// NodeName: a pod with spec.nodeName set fits only that node.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, SUCCESS, newStatus, type SchedulerPlugin, type Status } from '../framework/types.js';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function filterNodeName(pod: Pod, nodeName: string): Status {
  const wanted = pod.spec?.nodeName;
  if (!wanted || wanted === nodeName) return SUCCESS;
  return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_NODE_NAME);
}

export function nodeName(): SchedulerPlugin {
  return { name: NODE_NAME, filter: (_state, pod, nodeInfo) => filterNodeName(pod, nodeInfo.name) };
}
