// NodePorts: a pod's hostPorts must be free on the node; 0.0.0.0 conflicts with every IP.
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code, SUCCESS, newStatus, podHostPorts, type CycleState, type HostPort, type NodeInfo, type SchedulerPlugin, type Status,
} from '../framework/types.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const STATE_KEY = `PreFilter${NODE_PORTS}`;
const BIND_ALL = '0.0.0.0';

/** HostPortInfo.CheckConflict over the node's used ports. */
export function hostPortConflicts(used: Iterable<HostPort>, wanted: HostPort): boolean {
  for (const u of used) {
    if (u.protocol !== wanted.protocol || u.port !== wanted.port) continue;
    if (wanted.ip === BIND_ALL || u.ip === BIND_ALL || u.ip === wanted.ip) return true;
  }
  return false;
}

export function fitsPorts(wanted: readonly HostPort[], nodeInfo: NodeInfo): boolean {
  return !wanted.some((w) => hostPortConflicts(nodeInfo.usedPorts.values(), w));
}

export function nodePorts(): SchedulerPlugin {
  return {
    name: NODE_PORTS,
    preFilter(state: CycleState, pod: Pod): Status {
      const ports = podHostPorts(pod);
      if (ports.length === 0) return newStatus(Code.Skip);
      state.write(STATE_KEY, ports);
      return SUCCESS;
    },
    filter(state, pod, nodeInfo) {
      const wanted = state.read<HostPort[]>(STATE_KEY) ?? podHostPorts(pod);
      return fitsPorts(wanted, nodeInfo) ? SUCCESS : newStatus(Code.Unschedulable, ERR_REASON_NODE_PORTS);
    },
  };
}
