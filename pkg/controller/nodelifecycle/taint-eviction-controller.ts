// The taint eviction controller (upstream pkg/controller/tainteviction): a pod on a node with
// a NoExecute taint it does not tolerate is deleted at once; one that tolerates it for
// tolerationSeconds is deleted when that time, counted from the taint's timeAdded, is up;
// a scheduled deletion is cancelled when the taint goes away. Deletions are announced with a
// TaintManagerEviction event and a DisruptionTarget pod condition, as upstream does.
import type { Logger } from 'pino';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { nowRfc3339, splitKey } from '../../api/meta.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { ResourceEventHandlerRegistration } from '../../client/informer.js';
import type { DeepReadonly, Lister } from '../../client/lister.js';
import type { RestClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../controller-context.js';
import { keyOf, runController, type Controller } from '../run-controller.js';
import { planTaintEviction } from './plan-taint-eviction.js';
import { podsByNode } from './pods-by-node.js';

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #client: RestClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #pods: Lister<Pod>;
  readonly #nodes: Lister<Node>;
  readonly #podsOnNode: (nodeName: string) => DeepReadonly<Pod>[];
  readonly #registrations: ResourceEventHandlerRegistration[];
  /** Pod key → when its deletion is due (ms), for the pods waiting out a toleration. */
  readonly #scheduled = new Map<string, number>();
  /** When this controller first saw a taint that carries no timeAdded. */
  readonly #taintFirstSeen = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.eventRecorder('taint-eviction-controller');
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'taint_eviction' });
    const podInformer = ctx.informers.informer('pods');
    const nodeInformer = ctx.informers.informer('nodes');
    this.#pods = podInformer.lister;
    this.#nodes = nodeInformer.lister;
    this.#podsOnNode = podsByNode(podInformer);
    const enqueuePod = (pod: DeepReadonly<Pod>) => { if (pod.spec?.nodeName) this.queue.add(keyOf(pod)); };
    const enqueueNodePods = (node: DeepReadonly<Node>) => {
      for (const pod of this.#podsOnNode(node.metadata?.name ?? '')) this.queue.add(keyOf(pod));
    };
    this.#registrations = [
      podInformer.addEventHandler({
        add: enqueuePod, update: (_old, pod) => enqueuePod(pod),
        delete: (obj) => { this.#scheduled.delete(keyOf(obj)); },
      }),
      nodeInformer.addEventHandler({
        add: (node) => { if (noExecuteTaints(node).length > 0) enqueueNodePods(node); },
        update: (old, node) => {
          if (JSON.stringify(noExecuteTaints(old)) !== JSON.stringify(noExecuteTaints(node))) enqueueNodePods(node);
        },
      }),
    ];
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#ctx.informers.start(signal);
    await runController({
      name: this.name, queue: this.queue, workers: 4, sync: (key) => this.sync(key),
      signal, synced: this.#registrations, logger: this.#log,
    });
  }

  /** key: namespace/name of a pod. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.#pods.get(namespace, name);
    if (!pod || pod.metadata?.deletionTimestamp) { this.#scheduled.delete(key); return; }
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? this.#nodes.get('', nodeName) : undefined;
    const nowMs = this.#clock.now();
    const plan = planTaintEviction(node?.spec?.taints, pod.spec?.tolerations, (t) => this.#taintStartMs(nodeName ?? '', t, nowMs), nowMs);
    if (plan.action === 'none') { this.#cancel(key); return; }
    if (plan.atMs > nowMs) {
      this.#scheduled.set(key, plan.atMs);
      this.queue.addAfter(key, plan.atMs - nowMs);
      return;
    }
    await this.#evict(key, pod, nowMs);
  }

  #cancel(key: string): void {
    if (!this.#scheduled.delete(key)) return;
    const { namespace, name } = splitKey(key);
    this.#recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  async #evict(key: string, pod: DeepReadonly<Pod>, nowMs: number): Promise<void> {
    this.#scheduled.delete(key);
    const { namespace, name } = splitKey(key);
    this.#log.info({ pod: key, node: pod.spec?.nodeName }, 'Deleting pod');
    this.#recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const pods = this.#client.resource('pods');
    try {
      if (!pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) {
        await pods.patch(namespace, name, 'strategic', {
          status: { conditions: [{
            type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager',
            message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: nowRfc3339(new Date(nowMs)),
          }] },
        }, { subresource: 'status' });
      }
      await pods.delete(namespace, name, { preconditions: { uid: pod.metadata?.uid ?? '' } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  #taintStartMs(nodeName: string, taint: DeepReadonly<Taint>, nowMs: number): number {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    if (!Number.isNaN(added)) return added;
    const id = `${nodeName}\u0000${taint.key}\u0000${taint.value ?? ''}\u0000${taint.effect}`;
    let seen = this.#taintFirstSeen.get(id);
    if (seen === undefined) { seen = nowMs; this.#taintFirstSeen.set(id, seen); }
    return seen;
  }
}

function noExecuteTaints(node: DeepReadonly<Node>): DeepReadonly<Taint>[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}
