// Node health as the node lifecycle controller judges it (upstream tryUpdateNodeHealth and the
// NoSchedule/NoExecute tainting passes), as pure functions of what the informers show and the
// controller's own clock. The controller times a node by when *it* saw the kubelet's last
// heartbeat or Lease renewal change, never by the timestamps' values, so clock skew between
// machines cannot make a node look dead or alive.
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../../client/lister.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** The conditions the controller turns Unknown when the kubelet goes quiet. */
export const MONITORED_CONDITIONS: readonly string[] = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeHealth {
  /** When (controller clock, ms) the kubelet last showed a sign of life. */
  probeTimestampMs: number;
  /** The Ready condition's lastHeartbeatTime when last looked at. */
  lastHeartbeatTime: string | undefined;
  /** The Lease's renewTime when last looked at. */
  leaseRenewTime: string | undefined;
}

export interface NodeObservation {
  creationTimestamp: string | undefined;
  ready: DeepReadonly<NodeCondition> | undefined;
  leaseRenewTime: string | undefined;
}

export function observeNodeHealth(prev: NodeHealth | undefined, obs: NodeObservation, nowMs: number): NodeHealth {
  let health: NodeHealth;
  if (!prev) {
    // A node that never posted status is timed from its creation (with the startup grace period).
    const created = obs.creationTimestamp ? Date.parse(obs.creationTimestamp) : NaN;
    health = {
      probeTimestampMs: obs.ready || Number.isNaN(created) ? nowMs : Math.min(created, nowMs),
      lastHeartbeatTime: obs.ready?.lastHeartbeatTime, leaseRenewTime: undefined,
    };
  } else {
    health = { ...prev };
    if (obs.ready && obs.ready.lastHeartbeatTime !== prev.lastHeartbeatTime) {
      health.probeTimestampMs = nowMs;
      health.lastHeartbeatTime = obs.ready.lastHeartbeatTime;
    }
  }
  const renewed = obs.leaseRenewTime;
  if (renewed && (!health.leaseRenewTime || Date.parse(health.leaseRenewTime) < Date.parse(renewed))) {
    health.probeTimestampMs = nowMs;
    health.leaseRenewTime = renewed;
  }
  return health;
}

export function isHealthExpired(health: NodeHealth, hasReadyCondition: boolean, nowMs: number, gracePeriods: { monitorMs: number; startupMs: number }): boolean {
  return nowMs > health.probeTimestampMs + (hasReadyCondition ? gracePeriods.monitorMs : gracePeriods.startupMs);
}

/** The node's conditions with the monitored ones set Unknown; undefined when they already are. */
export function unknownNodeConditions(node: DeepReadonly<Node>, now: string): NodeCondition[] | undefined {
  const conditions = structuredClone((node.status?.conditions ?? []) as NodeCondition[]);
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.',
        ...(node.metadata?.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
        lastTransitionTime: now,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = now;
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

export function conditionStatus(node: DeepReadonly<Node>, type: string): string | undefined {
  return node.status?.conditions?.find((c) => c.type === type)?.status;
}

type TaintKey = Pick<Taint, 'key' | 'effect'>;

/** Taints this controller owns; others (kubectl taint, the kubelet's own) are never touched. */
const CONTROLLED: readonly TaintKey[] = [
  { key: TAINT_NOT_READY, effect: 'NoExecute' }, { key: TAINT_UNREACHABLE, effect: 'NoExecute' },
  ...[TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_MEMORY_PRESSURE, TAINT_DISK_PRESSURE, TAINT_PID_PRESSURE,
    TAINT_NETWORK_UNAVAILABLE, TAINT_UNSCHEDULABLE].map((key) => ({ key, effect: 'NoSchedule' })),
];

/** Upstream nodeConditionToTaintKeyStatusMap, the unschedulable taint, and the NoExecute taints of Ready. */
export function desiredNodeTaints(node: DeepReadonly<Node>): TaintKey[] {
  const out: TaintKey[] = [];
  const ready = conditionStatus(node, 'Ready');
  const readyKey = ready === 'False' ? TAINT_NOT_READY : ready === 'Unknown' ? TAINT_UNREACHABLE : undefined;
  if (readyKey) out.push({ key: readyKey, effect: 'NoSchedule' }, { key: readyKey, effect: 'NoExecute' });
  const pressure: [string, string][] = [
    ['MemoryPressure', TAINT_MEMORY_PRESSURE], ['DiskPressure', TAINT_DISK_PRESSURE],
    ['PIDPressure', TAINT_PID_PRESSURE], ['NetworkUnavailable', TAINT_NETWORK_UNAVAILABLE],
  ];
  for (const [type, key] of pressure) if (conditionStatus(node, type) === 'True') out.push({ key, effect: 'NoSchedule' });
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  return out;
}

/** The node's taints with the controlled ones made to match `desired`; undefined when nothing changes. */
export function reconcileNodeTaints(existing: readonly DeepReadonly<Taint>[] | undefined, desired: readonly TaintKey[], now: string): Taint[] | undefined {
  const same = (a: TaintKey, b: TaintKey) => a.key === b.key && a.effect === b.effect;
  const current = (existing ?? []) as Taint[];
  const kept = current.filter((t) => !CONTROLLED.some((c) => same(c, t)) || desired.some((d) => same(d, t)));
  const added = desired.filter((d) => !current.some((t) => same(t, d))).map((d) => ({ key: d.key, effect: d.effect, timeAdded: now }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...structuredClone(kept), ...added];
}
