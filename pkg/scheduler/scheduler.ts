// The kube-scheduler around the framework (pkg/scheduler/scheduler.go, schedule_one.go,
// eventhandlers.go): informers feed the cache (assigned pods, nodes) and the queue (our
// unassigned pods); one loop pops a pod, schedules it against a snapshot of the cache,
// assumes it on the chosen node and binds it through pods/binding in the background.
// A pod that fits nowhere may preempt lower-priority pods, gets PodScheduled=False and a
// FailedScheduling event, and waits for a cluster event or its backoff.
//
// Pods nominated to a node (status.nominatedNodeName, set by preemption) hold their place:
// pods of lower or equal priority are scheduled as if the nominated ones already ran there.
// Unlike upstream, which adds them only for Filter, they sit in the cycle's copies of their nodes.
// Not done (yet): lower-priority pods nominated to a preempted node keep their nomination.
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { pino, type Logger } from 'pino';
import { isConflict, isNotFound } from '../api/errors.js';
import { nowRfc3339, objectKey } from '../api/meta.js';
import { EventRecorder } from '../client/event-recorder.js';
import { DeletedFinalStateUnknown, type SharedInformer } from '../client/informer.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { DeepReadonly } from '../client/lister.js';
import type { RestClient } from '../client/rest-client.js';
import { SchedulerCache } from './cache.js';
import { Snapshot } from './snapshot.js';
import { newFramework } from './framework/registry.js';
import { fitErrorMessage, type Framework } from './framework/runtime.js';
import { CycleState, isSuccess, podPriority, statusMessage, type NodeInfo, type Status } from './framework/types.js';
import { SchedulerMetrics, type AttemptResult } from './scheduler-metrics.js';
import { ClusterEvent, SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
/** Events carry at most this much of a message (schedule_one.go truncateMessage). */
const EVENT_MESSAGE_LIMIT = 1024;

export interface SchedulerOptions {
  client: RestClient;
  /** spec.schedulerName of the pods this scheduler takes; also its profile name. */
  schedulerName?: string;
  logger?: Logger;
  clock?: () => number;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
  assumedPodTtlMs?: number;
  /** How often backoffQ is flushed (upstream: 1 s) and unschedulablePods checked (30 s). */
  flushBackoffPeriodMs?: number;
  flushUnschedulablePeriodMs?: number;
  random?: () => number;
  percentageOfNodesToScore?: number;
  /** The event source's host, as reportingInstance. */
  host?: string;
}

type Reason = 'Unschedulable' | 'SchedulerError';

export class Scheduler {
  readonly schedulerName: string;
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly framework: Framework;
  readonly metrics: SchedulerMetrics;
  readonly pods: SharedInformer<Pod>;
  readonly nodes: SharedInformer<Node>;
  readonly namespaces: SharedInformer<Namespace>;
  readonly priorityClasses: SharedInformer<PriorityClass>;
  readonly #client: RestClient;
  readonly #factory: InformerFactory;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #opts: SchedulerOptions;
  readonly #bindings = new Set<Promise<void>>();
  /** Unassigned pods with a nominated node, by key (the nominator). */
  readonly #nominated = new Map<string, { pod: Pod; nodeName: string }>();
  /** What each cycle schedules against; brought up to date from the cache at its start. */
  readonly #snapshot = new Snapshot();

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.#log = opts.logger ?? pino({ level: 'silent' });
    this.#clock = opts.clock ?? Date.now;
    this.queue = new SchedulingQueue({
      clock: this.#clock,
      ...(opts.podInitialBackoffMs !== undefined ? { initialBackoffMs: opts.podInitialBackoffMs } : {}),
      ...(opts.podMaxBackoffMs !== undefined ? { maxBackoffMs: opts.podMaxBackoffMs } : {}),
      ...(opts.podMaxInUnschedulablePodsDurationMs !== undefined ? { podMaxInUnschedulablePodsDurationMs: opts.podMaxInUnschedulablePodsDurationMs } : {}),
    });
    this.cache = new SchedulerCache({ clock: this.#clock, ...(opts.assumedPodTtlMs !== undefined ? { assumedPodTtlMs: opts.assumedPodTtlMs } : {}) });
    this.metrics = new SchedulerMetrics(() => this.queue.pendingPods());
    this.#recorder = new EventRecorder(this.#client, {
      component: this.schedulerName,
      ...(opts.host ? { host: opts.host } : {}),
      onError: (err, ev) => this.#log.warn({ err: String(err), reason: ev.reason, object: `${ev.involvedObject.namespace}/${ev.involvedObject.name}` }, 'Could not write event'),
    });
    this.#factory = new InformerFactory(this.#client, {
      onError: (resource, err) => this.#log.warn({ resource, err: String(err) }, 'Informer error; retrying'),
    });
    this.pods = this.#factory.informer('pods');
    this.nodes = this.#factory.informer('nodes');
    this.namespaces = this.#factory.informer('namespaces');
    this.priorityClasses = this.#factory.informer('priorityclasses');
    this.framework = newFramework({
      bind: (pod, nodeName) => this.#bind(pod, nodeName),
      namespaceLabels: (ns) => this.namespaces.lister.get('', ns)?.metadata?.labels as Record<string, string> | undefined,
    }, {
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: opts.percentageOfNodesToScore } : {}),
    });
    this.#addEventHandlers();
  }

  /** Runs the informers until signal aborts; resolves true once their caches are in sync. */
  async startInformers(signal: AbortSignal): Promise<boolean> {
    this.#factory.start(signal);
    return this.#factory.waitForCacheSync(signal);
  }

  hasSynced(): boolean {
    return [this.pods, this.nodes, this.namespaces, this.priorityClasses].every((i) => i.hasSynced());
  }

  /** Resolves when the informers have stopped (after their signal aborted). */
  shutdownInformers(): Promise<void> {
    return this.#factory.shutdown();
  }

  /** Schedules until signal aborts, then waits for the bindings in flight and pending events. */
  async run(signal: AbortSignal): Promise<void> {
    const timers = [
      setInterval(() => this.queue.flushBackoffQCompleted(), this.#opts.flushBackoffPeriodMs ?? 1000),
      setInterval(() => this.queue.flushUnschedulablePodsLeftover(), this.#opts.flushUnschedulablePeriodMs ?? 30_000),
      setInterval(() => this.#cleanupAssumedPods(), 1000),
    ];
    try {
      while (!signal.aborted) {
        const info = await this.queue.pop(signal);
        if (!info) break;
        this.scheduleOne(info);
        // Let watch events and binding answers in between pods, or a burst would starve them.
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      for (const t of timers) clearInterval(t);
      await Promise.all(this.#bindings);
      await this.#recorder.flush();
    }
  }

  /** One scheduling cycle; the binding cycle it may start runs in the background. */
  scheduleOne(info: QueuedPodInfo): void {
    const latest = this.pods.lister.get(info.pod.metadata?.namespace ?? '', info.pod.metadata?.name ?? '');
    // Deleted, bound elsewhere or being deleted since it was queued: nothing to do.
    if (!latest || latest.spec?.nodeName || latest.metadata?.deletionTimestamp || latest.metadata?.uid !== info.pod.metadata?.uid) {
      this.queue.done(info.key);
      return;
    }
    // The informer's object, not a copy: nothing in a cycle changes a pod (the assumed one is a
    // new object), and a deep copy per pod was a measurable share of the cycle.
    const pod = latest as Pod;
    info.pod = pod;
    if (this.cache.isAssumedPod(pod)) {
      this.queue.done(info.key);
      return;
    }
    const start = this.#clock();
    const podSchedulingCycle = this.queue.schedulingCycle;
    const state = new CycleState();
    this.cache.updateSnapshot(this.#snapshot);
    const nodes = this.#withNominatedPods(pod, info.key, this.#snapshot.nodeInfoList);
    if (nodes.length === 0) {
      info.unschedulablePlugins = new Set();
      this.#observe('unschedulable', start);
      this.#log.info({ pod: info.key }, 'Unable to schedule pod; no nodes are registered to the cluster; waiting');
      void this.#handleFailure(info, 'Unschedulable', NO_NODES_AVAILABLE, podSchedulingCycle, '');
      return;
    }
    let result;
    try {
      result = this.framework.schedulePod(state, pod, nodes);
    } catch (err) {
      this.#observe('error', start);
      this.#log.error({ pod: info.key, err: String(err) }, 'Error scheduling pod; retrying');
      void this.#handleFailure(info, 'SchedulerError', err instanceof Error ? err.message : String(err), podSchedulingCycle);
      return;
    }
    if (!result.ok) {
      const { fitError } = result;
      let nominatedNodeName: string | undefined;
      if (this.framework.hasPostFilterPlugins()) {
        this.metrics.preemptionAttempts.inc();
        const post = this.framework.runPostFilterPlugins(state, pod, fitError.diagnosis.nodeToStatus);
        fitError.diagnosis.postFilterMsg = statusMessage(post.status);
        const victims = post.result?.victims ?? [];
        if (post.result?.nominatedNodeName) {
          nominatedNodeName = post.result.nominatedNodeName;
          this.#nominated.set(info.key, { pod, nodeName: nominatedNodeName });
          this.metrics.preemptionVictims.observe(victims.length);
          this.#preempt(pod, nominatedNodeName, victims);
        }
      }
      info.unschedulablePlugins = fitError.diagnosis.unschedulablePlugins;
      const message = fitErrorMessage(fitError);
      this.#observe('unschedulable', start);
      this.#log.info({ pod: info.key, err: message }, 'Unable to schedule pod; no fit; waiting');
      void this.#handleFailure(info, 'Unschedulable', message, podSchedulingCycle, nominatedNodeName);
      return;
    }

    const host = result.suggestedHost;
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    // From here on every later cycle sees the pod on host, though the API doesn't yet.
    this.cache.assumePod(assumed);
    const reserved = this.framework.runReservePlugins(state, assumed, host);
    if (!isSuccess(reserved)) {
      this.#forget(assumed, state, host);
      this.#observe('error', start);
      void this.#handleFailure(info, 'SchedulerError', statusMessage(reserved), podSchedulingCycle);
      return;
    }
    const binding = this.#bindingCycle(info, state, assumed, host, start, result.evaluatedNodes, result.feasibleNodes)
      .finally(() => this.#bindings.delete(binding));
    this.#bindings.add(binding);
  }

  async #bindingCycle(info: QueuedPodInfo, state: CycleState, assumed: Pod, host: string, start: number, evaluatedNodes: number, feasibleNodes: number): Promise<void> {
    const status: Status = await this.framework.runBindPlugins(state, assumed, host);
    if (isSuccess(status)) {
      this.cache.finishBinding(assumed);
      this.queue.done(info.key);
      this.#observe('scheduled', start);
      this.#log.info({ pod: info.key, node: host, evaluatedNodes, feasibleNodes }, 'Successfully bound pod to node');
      this.#recorder.event(assumed, 'Normal', 'Scheduled', `Successfully assigned ${info.key} to ${host}`);
      return;
    }
    this.#forget(assumed, state, host);
    // The resources it held may let other pods in.
    this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodDelete);
    this.#observe('error', start);
    const message = `binding rejected: running Bind plugin "${status.plugin ?? ''}": ${statusMessage(status)}`;
    this.#log.error({ pod: info.key, node: host, err: message }, 'Failed to bind pod');
    await this.#handleFailure(info, 'SchedulerError', message, this.queue.schedulingCycle, undefined, true);
  }

  async #bind(pod: Pod, nodeName: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    await this.#client.resource('pods').createSubresource(ns, name, 'binding', {
      apiVersion: 'v1', kind: 'Binding',
      metadata: { name, namespace: ns, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) },
      target: { kind: 'Node', name: nodeName },
    });
  }

  #forget(assumed: Pod, state: CycleState, host: string): void {
    try {
      this.cache.forgetPod(assumed);
    } catch (err) {
      this.#log.error({ pod: objectKey(assumed), err: String(err) }, 'Scheduler cache ForgetPod failed');
    }
    this.framework.runUnreservePlugins(state, assumed, host);
  }

  /**
   * handleSchedulingFailure: back to the queue (unless it was bound or deleted meanwhile),
   * a FailedScheduling event, and PodScheduled=False (plus the nomination) on its status.
   */
  async #handleFailure(info: QueuedPodInfo, reason: Reason, message: string, podSchedulingCycle: number, nominatedNodeName?: string, afterBind = false): Promise<void> {
    const ns = info.pod.metadata?.namespace ?? '';
    const name = info.pod.metadata?.name ?? '';
    let cached = this.pods.lister.get(ns, name) as Pod | undefined;
    if (afterBind && cached && !cached.spec?.nodeName) {
      // A bind conflict usually means someone else bound it; the informer may not know yet.
      cached = await this.#client.resource('pods').get(ns, name).catch((e: unknown) => (isNotFound(e) ? undefined : cached));
    }
    if (!cached) {
      this.queue.done(info.key);
    } else if (cached.spec?.nodeName) {
      this.#log.info({ pod: info.key, node: cached.spec.nodeName }, 'Pod has been assigned to node. Abort adding it back to queue.');
      this.queue.done(info.key);
    } else {
      info.pod = structuredClone(cached);
      if (reason === 'SchedulerError') this.queue.addBackoff(info);
      else this.queue.addUnschedulableIfNotPresent(info, podSchedulingCycle);
    }
    this.#recorder.event(info.pod, 'Warning', 'FailedScheduling', truncate(message));
    if (!cached || cached.spec?.nodeName) return;
    await this.#updatePodScheduledCondition(cached, { type: 'PodScheduled', status: 'False', reason, message }, nominatedNodeName);
  }

  /** updatePod: patches status only when the condition or the nomination would change. */
  async #updatePodScheduledCondition(pod: Pod, condition: PodCondition, nominatedNodeName: string | undefined): Promise<void> {
    const old = pod.status?.conditions?.find((c) => c.type === condition.type);
    const conditionChanged = !old || old.status !== condition.status || old.reason !== condition.reason || old.message !== condition.message;
    const nominationChanged = nominatedNodeName !== undefined && (pod.status?.nominatedNodeName ?? '') !== nominatedNodeName;
    if (!conditionChanged && !nominationChanged) return;
    const lastTransitionTime = old && old.status === condition.status && old.lastTransitionTime ? old.lastTransitionTime : nowRfc3339(new Date(this.#clock()));
    const status: Record<string, unknown> = {
      conditions: [{ ...condition, lastProbeTime: null, lastTransitionTime }],
    };
    if (nominationChanged) status['nominatedNodeName'] = nominatedNodeName === '' ? null : nominatedNodeName;
    try {
      await this.#client.resource('pods').patch(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', 'strategic', { status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) this.#log.error({ pod: objectKey(pod), err: String(err) }, 'Error updating pod');
    }
  }

  /** prepareCandidate: mark, delete and report each victim (in the background). */
  #preempt(preemptor: Pod, nodeName: string, victims: readonly Pod[]): void {
    const pods = this.#client.resource('pods');
    for (const victim of victims) {
      const ns = victim.metadata?.namespace ?? '';
      const name = victim.metadata?.name ?? '';
      const work = (async () => {
        try {
          await pods.patch(ns, name, 'strategic', {
            status: {
              conditions: [{
                type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler',
                message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
                lastTransitionTime: nowRfc3339(new Date(this.#clock())),
              }],
            },
          }, { subresource: 'status' });
          // No grace period given: the victim's own terminationGracePeriodSeconds applies.
          await pods.delete(ns, name, { preconditions: { ...(victim.metadata?.uid ? { uid: victim.metadata.uid } : {}) } });
          this.#log.info({ preemptor: objectKey(preemptor), victim: `${ns}/${name}`, node: nodeName }, 'Preemptor Pod preempted victim Pod');
        } catch (err) {
          if (isNotFound(err) || isConflict(err)) return;
          this.#log.error({ pod: `${ns}/${name}`, preemptor: objectKey(preemptor), err: String(err) }, 'Tried to preempt pod');
          return;
        }
        this.#recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${nodeName}`);
      })().finally(() => this.#bindings.delete(work));
      this.#bindings.add(work);
    }
  }

  /**
   * Nominated pods at least as important as pod count on their nodes: the cycle gets a list
   * where those nodes are copies holding them (the snapshot itself is kept clean).
   */
  #withNominatedPods(pod: Pod, key: string, nodes: readonly NodeInfo[]): readonly NodeInfo[] {
    if (this.#nominated.size === 0) return nodes;
    const priority = podPriority(pod);
    const copies = new Map<string, NodeInfo>();
    for (const [k, { pod: nominated, nodeName }] of this.#nominated) {
      if (k === key || podPriority(nominated) < priority) continue;
      let copy = copies.get(nodeName);
      if (!copy) {
        const original = this.#snapshot.byName.get(nodeName);
        if (!original) continue;
        copies.set(nodeName, (copy = original.clone()));
      }
      copy.addPod({ ...nominated, spec: { ...nominated.spec!, nodeName } });
    }
    return copies.size === 0 ? nodes : nodes.map((n) => copies.get(n.name) ?? n);
  }

  /** Tracks status.nominatedNodeName of pending pods as the informer reports it. */
  #updateNominated(pod: DeepReadonly<Pod> | undefined, key: string): void {
    const nodeName = pod?.status?.nominatedNodeName;
    if (pod && nodeName && !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp) this.#nominated.set(key, { pod: pod as Pod, nodeName });
    else this.#nominated.delete(key);
  }

  #cleanupAssumedPods(): void {
    for (const pod of this.cache.cleanupAssumedPods()) {
      this.#log.info({ pod: objectKey(pod), node: pod.spec?.nodeName }, 'Assumed pod expired');
      this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodDelete);
    }
  }

  #observe(result: AttemptResult, start: number): void {
    this.metrics.observeAttempt(result, this.schedulerName, (this.#clock() - start) / 1000);
  }

  #responsibleFor(pod: DeepReadonly<Pod>): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  /** A pod without spec.priority (no Priority admission) takes its class's value. */
  #withPriority(pod: DeepReadonly<Pod>): Pod {
    const copy = pod as Pod;
    if (copy.spec?.priority !== undefined || !copy.spec?.priorityClassName) return copy;
    const pc = this.priorityClasses.lister.get('', copy.spec.priorityClassName);
    return pc ? { ...copy, spec: { ...copy.spec, priority: pc.value } } : copy;
  }

  #addEventHandlers(): void {
    this.pods.addEventHandler({
      add: (pod) => {
        this.#updateNominated(pod, objectKey(pod));
        if (isAssigned(pod)) {
          if (isTerminal(pod)) return;
          this.cache.addPod(pod as Pod);
          this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodAdd);
        } else if (this.#responsibleFor(pod) && !pod.metadata?.deletionTimestamp) {
          this.queue.add(this.#withPriority(pod));
        }
      },
      update: (oldPod, newPod) => {
        this.#updateNominated(newPod, objectKey(newPod));
        if (isAssigned(newPod)) {
          if (!isAssigned(oldPod)) {
            // Bound (by us or anyone): out of the queue, into the cache (confirming our assumption).
            this.queue.delete(newPod as Pod);
            if (!isTerminal(newPod)) this.cache.addPod(newPod as Pod);
            this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodAdd);
            return;
          }
          if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return;
          if (isTerminal(newPod)) {
            // A finished pod frees its node as if it were deleted.
            this.cache.removePod(newPod as Pod);
            if (!isTerminal(oldPod)) this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodDelete);
            return;
          }
          this.cache.updatePod(oldPod as Pod, newPod as Pod);
          if (schedulingPropertiesChanged(oldPod, newPod)) this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodUpdate);
          return;
        }
        if (!this.#responsibleFor(newPod)) return;
        if (newPod.metadata?.deletionTimestamp) {
          this.queue.delete(newPod as Pod);
          return;
        }
        if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return;
        this.queue.update(oldPod as Pod, this.#withPriority(newPod));
      },
      delete: (obj) => {
        const pod = (obj instanceof DeletedFinalStateUnknown ? obj.obj : obj) as Pod;
        this.#updateNominated(undefined, objectKey(pod));
        if (isAssigned(pod)) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff(ClusterEvent.AssignedPodDelete);
        } else {
          this.queue.delete(pod);
        }
      },
    });
    this.nodes.addEventHandler({
      add: (node) => {
        this.cache.addNode(node as Node);
        this.queue.moveAllToActiveOrBackoff(ClusterEvent.NodeAdd);
      },
      update: (oldNode, newNode) => {
        this.cache.updateNode(oldNode as Node, newNode as Node);
        if (nodeSchedulingPropertiesChanged(oldNode, newNode)) this.queue.moveAllToActiveOrBackoff(ClusterEvent.NodeUpdate);
      },
      delete: (obj) => {
        this.cache.removeNode((obj instanceof DeletedFinalStateUnknown ? obj.obj : obj) as Node);
      },
    });
  }
}

function isAssigned(pod: DeepReadonly<Pod>): boolean {
  return !!pod.spec?.nodeName;
}

function isTerminal(pod: DeepReadonly<Pod>): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** An assigned pod's change that can let others in: labels (affinity, spread) or smaller requests. */
function schedulingPropertiesChanged(oldPod: DeepReadonly<Pod>, newPod: DeepReadonly<Pod>): boolean {
  return !same(oldPod.metadata?.labels, newPod.metadata?.labels)
    || !same(oldPod.spec?.containers?.map((c) => c.resources), newPod.spec?.containers?.map((c) => c.resources));
}

/** nodeSchedulingPropertiesChange: heartbeats alone don't wake unschedulable pods. */
function nodeSchedulingPropertiesChanged(oldNode: DeepReadonly<Node>, newNode: DeepReadonly<Node>): boolean {
  const readyOf = (n: DeepReadonly<Node>) => n.status?.conditions?.map((c) => `${c.type}=${c.status}`);
  return oldNode.spec?.unschedulable !== newNode.spec?.unschedulable
    || !same(oldNode.status?.allocatable, newNode.status?.allocatable)
    || !same(oldNode.metadata?.labels, newNode.metadata?.labels)
    || !same(oldNode.spec?.taints, newNode.spec?.taints)
    || !same(readyOf(oldNode), readyOf(newNode))
    || !same(oldNode.metadata?.annotations, newNode.metadata?.annotations);
}

function truncate(message: string): string {
  if (message.length <= EVENT_MESSAGE_LIMIT) return message;
  const suffix = ' ...';
  return message.slice(0, EVENT_MESSAGE_LIMIT - suffix.length) + suffix;
}
