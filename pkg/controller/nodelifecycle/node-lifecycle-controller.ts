// The node lifecycle controller (upstream pkg/controller/nodelifecycle): judges each node's
// health by its kubelet's Lease renewals and status heartbeats; a node silent for longer than
// the grace period gets its Ready/MemoryPressure/DiskPressure/PIDPressure conditions set
// Unknown ("Kubelet stopped posting node status."), its pods marked not Ready, and the
// unreachable NoSchedule/NoExecute taints; a NotReady node gets the not-ready taints; the
// taints go when the node is Ready again. Evicting pods is the taint eviction controller's job.
import type { Logger } from 'pino';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { nowRfc3339 } from '../../api/meta.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ResourceEventHandlerRegistration } from '../../client/informer.js';
import type { DeepReadonly, Lister } from '../../client/lister.js';
import type { RestClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../controller-context.js';
import { keyOf, runController, type Controller } from '../run-controller.js';
import {
  conditionStatus, desiredNodeTaints, isHealthExpired, observeNodeHealth, reconcileNodeTaints,
  unknownNodeConditions, type NodeHealth,
} from './node-health.js';
import { podsByNode } from './pods-by-node.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #client: RestClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Lister<Node>;
  readonly #leases: Lister<Lease>;
  readonly #podsOnNode: (nodeName: string) => DeepReadonly<Pod>[];
  readonly #registrations: ResourceEventHandlerRegistration[];
  readonly #health = new Map<string, NodeHealth>();
  /** The Ready status each node had when last synced, to see it leave True. */
  readonly #lastReady = new Map<string, string | undefined>();
  /** Nodes whose pods still have to be marked not Ready (a failed attempt is retried). */
  readonly #markPodsPending = new Set<string>();

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.eventRecorder('node-controller');
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'node_lifecycle' });
    const nodeInformer = ctx.informers.informer('nodes');
    const leaseInformer = ctx.informers.informer('leases', { namespace: NODE_LEASE_NAMESPACE });
    const podInformer = ctx.informers.informer('pods');
    this.#nodes = nodeInformer.lister;
    this.#leases = leaseInformer.lister;
    this.#podsOnNode = podsByNode(podInformer);
    const enqueue = (obj: { metadata?: { name?: string } }) => { if (obj.metadata?.name) this.queue.add(obj.metadata.name); };
    this.#registrations = [
      nodeInformer.addEventHandler({
        add: enqueue, update: (_old, node) => enqueue(node),
        delete: (obj) => {
          const name = keyOf(obj);
          this.#health.delete(name);
          this.#lastReady.delete(name);
          this.#markPodsPending.delete(name);
        },
      }),
      // A node's Lease has the node's name.
      leaseInformer.addEventHandler({ add: enqueue, update: (_old, lease) => enqueue(lease) }),
      podInformer.addEventHandler({}),
    ];
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#ctx.informers.start(signal);
    await Promise.all([
      runController({
        name: this.name, queue: this.queue, workers: 1, sync: (key) => this.sync(key),
        signal, synced: this.#registrations, logger: this.#log,
      }),
      this.#monitorLoop(signal),
    ]);
  }

  /** Upstream's monitorNodeHealth period: every node is looked at again every nodeMonitorPeriod. */
  async #monitorLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      try { await this.#clock.sleep(this.#ctx.options.nodeMonitorPeriodMs, signal); } catch { return; }
      for (const node of this.#nodes.list()) if (node.metadata?.name) this.queue.add(node.metadata.name);
    }
  }

  /** key: a node name. */
  async sync(name: string): Promise<void> {
    const cached = this.#nodes.get('', name);
    if (!cached) return;
    const nowMs = this.#clock.now();
    const now = nowRfc3339(new Date(nowMs));
    const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
    const health = observeNodeHealth(this.#health.get(name), {
      creationTimestamp: cached.metadata?.creationTimestamp, ready,
      leaseRenewTime: this.#leases.get(NODE_LEASE_NAMESPACE, name)?.spec?.renewTime,
    }, nowMs);
    this.#health.set(name, health);
    const grace = { monitorMs: this.#ctx.options.nodeMonitorGracePeriodMs, startupMs: this.#ctx.options.nodeStartupGracePeriodMs };

    let node: DeepReadonly<Node> = cached;
    if (isHealthExpired(health, ready !== undefined, nowMs, grace)) {
      const conditions = unknownNodeConditions(cached, now);
      if (conditions) {
        this.#log.info({ node: name }, 'Node stopped posting status; marking its conditions Unknown');
        const next = { ...structuredClone(cached), status: { ...structuredClone(cached.status), conditions } } as Node;
        node = await this.#client.resource('nodes').updateStatus('', next);
      }
    } else {
      // Look again the moment the grace period would run out.
      const expiresInMs = health.probeTimestampMs + (ready ? grace.monitorMs : grace.startupMs) - nowMs;
      this.queue.addAfter(name, expiresInMs + 1);
    }

    const readyNow = conditionStatus(node, 'Ready');
    if (this.#lastReady.get(name) === 'True' && readyNow !== 'True') {
      this.#recorder.event({ kind: 'Node', metadata: { name, uid: name } }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      this.#markPodsPending.add(name);
    }
    if (readyNow === 'True') this.#markPodsPending.delete(name);
    this.#lastReady.set(name, readyNow);

    const taints = reconcileNodeTaints(node.spec?.taints, desiredNodeTaints(node), now);
    if (taints) {
      this.#log.info({ node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'Updating node taints');
      node = await this.#client.resource('nodes').patch('', name, 'merge', {
        metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints: taints.length > 0 ? taints : null },
      });
    }

    if (this.#markPodsPending.has(name)) {
      await this.#markPodsNotReady(name, now);
      this.#markPodsPending.delete(name);
    }
  }

  /** Upstream MarkPodsNotReady: the pods of a node that stopped being Ready are not Ready either. */
  async #markPodsNotReady(nodeName: string, now: string): Promise<void> {
    const errors: unknown[] = [];
    for (const cached of this.#podsOnNode(nodeName)) {
      const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const pod = structuredClone(cached) as Pod;
      const condition = pod.status!.conditions!.find((c) => c.type === 'Ready') as PodCondition;
      condition.status = 'False';
      condition.lastTransitionTime = now;
      try {
        await this.#client.resource('pods').updateStatus(pod.metadata?.namespace ?? '', pod);
        this.#recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `marking pods on node ${nodeName} not ready`);
  }
}
