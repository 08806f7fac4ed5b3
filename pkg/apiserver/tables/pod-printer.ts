// The pods printer: the Status cell follows printers.go's printPod step by step, since
// kubectl users read CrashLoopBackOff, Init:0/1 or Terminating straight from it.
import { since } from './human-duration.js';
import { type Obj, type Printer, type TableRowCondition, col, nameCol, ageCol, name, age, int, str } from './printer.js';

const SUCCEEDED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

// A sidecar: an init container that keeps running beside the app containers.
const isRestartable = (c: Obj | undefined): boolean => c?.restartPolicy === 'Always';

function laterOf(current: number, finishedAt: unknown): number {
  const t = typeof finishedAt === 'string' ? Date.parse(finishedAt) : NaN;
  return !Number.isNaN(t) && t > current ? t : current;
}

function hasTrueCondition(status: Obj, type: string): boolean {
  return (status.conditions ?? []).some((c: Obj) => c.type === type && c.status === 'True');
}

/** printPod's Ready, Status and Restarts cells. */
export function podStatusCells(pod: Obj, now: Date): { ready: string; reason: string; restarts: string } {
  const spec: Obj = pod.spec ?? {};
  const status: Obj = pod.status ?? {};
  const initSpecs: Obj[] = spec.initContainers ?? [];
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;

  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, Obj>();
  for (const c of initSpecs) {
    initByName.set(str(c.name), c);
    if (isRestartable(c)) total++;
  }

  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const sidecar = isRestartable(initByName.get(str(cs.name)));
    restarts += int(cs.restartCount);
    lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = laterOf(lastSidecarRestart, cs.lastState?.terminated?.finishedAt);
    }
    const terminated: Obj | undefined = cs.state?.terminated;
    const waiting: Obj | undefined = cs.state?.waiting;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = int(terminated.signal) !== 0 ? `Init:Signal:${int(terminated.signal)}` : `Init:ExitCode:${int(terminated.exitCode)}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasTrueCondition(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: Obj[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += int(cs.restartCount);
      lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting: Obj | undefined = cs.state?.waiting;
      const terminated: Obj | undefined = cs.state?.terminated;
      if (waiting && waiting.reason) reason = waiting.reason;
      else if (terminated && terminated.reason) reason = terminated.reason;
      else if (terminated) reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      else if (cs.ready === true && cs.state?.running) { hasRunning = true; ready++; }
    }
    // A pod whose last container completed while another still runs is still running.
    if (reason === 'Completed' && hasRunning) reason = hasTrueCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsCell = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${ready}/${total}`, reason, restarts: restartsCell };
}

export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol(),
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', true),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename', true),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', true),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', true),
  ],
  row(pod, now) {
    const { ready, reason, restarts } = podStatusCells(pod, now);
    const status: Obj = pod.status ?? {};
    const gates: Obj[] = pod.spec?.readinessGates ?? [];
    let gatesCell = '<none>';
    if (gates.length > 0) {
      const conditions: Obj[] = status.conditions ?? [];
      const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
      gatesCell = `${trueCount}/${gates.length}`;
    }
    const cells = [
      name(pod), ready, reason, restarts, age(pod, now),
      str(status.podIPs?.[0]?.ip) || '<none>', str(pod.spec?.nodeName) || '<none>', str(status.nominatedNodeName) || '<none>', gatesCell,
    ];
    if (status.phase === 'Succeeded') return { cells, conditions: SUCCEEDED };
    if (status.phase === 'Failed') return { cells, conditions: FAILED };
    return { cells };
  },
};
