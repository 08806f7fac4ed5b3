// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps `replicas` active
// pods matching each ReplicaSet's selector, adopting orphans and releasing pods that stopped
// matching, creating in slow-start batches and deleting the cheapest pods first, with
// expectations so that a cache lagging behind its own writes never makes it act twice.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector, selectorFromSet } from '../../api/labels.js';
import { controllerRef, nowRfc3339, objectKey, splitKey } from '../../api/meta.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { DeletedFinalStateUnknown, SharedInformer } from '../../client/informer.js';
import type { DeepReadonly } from '../../client/lister.js';
import type { ResourceClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import { defaultControllerRateLimiter } from '../../client/rate-limiter.js';
import type { ControllerContext } from '../controller-context.js';
import { keyOf, runController, unwrapTombstone, type Controller } from '../run-controller.js';
import { podsToDelete } from './active-pods-with-ranks.js';
import { ControllerExpectations } from './controller-expectations.js';
import { claimObjects } from './controller-ref-manager.js';
import { isPodActive, isPodAvailable, isPodReady, podKey } from './pod-readiness.js';

type ReadonlyRS = DeepReadonly<ReplicaSet>;
type ReadonlyPod = DeepReadonly<Pod>;

/** At most this many creates or deletes per sync (upstream BurstReplicas). */
export const BURST_REPLICAS = 500;
const SLOW_START_INITIAL_BATCH_SIZE = 1;
export const REPLICASET_CONTROLLER = 'replicaset-controller';

export interface ReplicaSetControllerDeps {
  rsInformer: SharedInformer<ReplicaSet>;
  podInformer: SharedInformer<Pod>;
  replicaSets: ResourceClient<ReplicaSet>;
  pods: ResourceClient<Pod>;
  recorder: Pick<EventRecorder, 'event'>;
  clock: Clock;
  logger: Logger;
  workers: number;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  readonly queue: WorkQueue;
  readonly expectations: ControllerExpectations;
  readonly #d: ReplicaSetControllerDeps;
  readonly #synced;

  static fromContext(ctx: ControllerContext): ReplicaSetController {
    return new ReplicaSetController({
      rsInformer: ctx.informers.informer('replicasets'),
      podInformer: ctx.informers.informer('pods'),
      replicaSets: ctx.client.resource('replicasets'),
      pods: ctx.client.resource('pods'),
      recorder: ctx.eventRecorder(REPLICASET_CONTROLLER),
      clock: ctx.clock,
      logger: ctx.logger.child({ controller: 'replicaset' }),
      workers: ctx.options.concurrentReplicaSetSyncs,
    });
  }

  constructor(deps: ReplicaSetControllerDeps) {
    this.#d = deps;
    this.queue = new WorkQueue({ name: 'replicaset', clock: deps.clock, rateLimiter: defaultControllerRateLimiter(deps.clock) });
    this.expectations = new ControllerExpectations(() => deps.clock.now());
    this.#synced = [
      deps.rsInformer.addEventHandler({
        add: (rs) => this.#enqueue(rs),
        update: (_old, cur) => this.#enqueue(cur),
        delete: (obj) => {
          const key = keyOf(obj);
          this.expectations.deleteExpectations(key);
          this.queue.add(key);
        },
      }),
      deps.podInformer.addEventHandler({
        add: (pod) => this.#addPod(pod),
        update: (old, cur) => this.#updatePod(old, cur),
        delete: (obj) => this.#deletePod(obj),
      }),
    ];
  }

  run(signal: AbortSignal): Promise<void> {
    return runController({ name: this.name, queue: this.queue, workers: this.#d.workers, sync: (k) => this.sync(k), signal, synced: this.#synced, logger: this.#d.logger });
  }

  #enqueue(rs: ReadonlyRS): void { this.queue.add(objectKey(rs)); }

  /** The ReplicaSet a pod's controllerRef names, if it exists with that uid. */
  #resolveControllerRef(pod: ReadonlyPod): ReadonlyRS | undefined {
    const ref = controllerRef(pod as Pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.#d.rsInformer.lister.get(pod.metadata?.namespace ?? '', ref.name);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod's labels. */
  #podReplicaSets(pod: ReadonlyPod): ReadonlyRS[] {
    if (!pod.metadata?.labels) return [];
    return this.#d.rsInformer.lister.listNamespaced(pod.metadata.namespace ?? '').filter((rs) => {
      const sel = labelSelectorAsSelector(rs.spec?.selector as LabelSelector | undefined);
      return !sel.isEmpty() && sel.matches(pod.metadata?.labels);
    });
  }

  #addPod(pod: ReadonlyPod): void {
    if (pod.metadata?.deletionTimestamp) { this.#deletePod(pod); return; }
    if (controllerRef(pod as Pod)) {
      const rs = this.#resolveControllerRef(pod);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.#podReplicaSets(pod)) this.#enqueue(rs);
  }

  #updatePod(old: ReadonlyPod, cur: ReadonlyPod): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    const labelChanged = JSON.stringify(cur.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion: expect the replacement now rather than when the pod is gone.
      this.#deletePod(cur);
      if (labelChanged) this.#deletePod(old);
      return;
    }
    const curRef = controllerRef(cur as Pod), oldRef = controllerRef(old as Pod);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.#resolveControllerRef(old);
      if (rs) this.#enqueue(rs);
    }
    if (curRef) {
      const rs = this.#resolveControllerRef(cur);
      if (!rs) return;
      this.#enqueue(rs);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      // Available comes minReadySeconds after Ready without any event: look again then.
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(objectKey(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.#podReplicaSets(cur)) this.#enqueue(rs);
  }

  #deletePod(obj: ReadonlyPod | DeletedFinalStateUnknown<ReadonlyPod>): void {
    const pod = unwrapTombstone(obj);
    const rs = this.#resolveControllerRef(pod);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  /** One step of reconciling the ReplicaSet under key (syncReplicaSet). */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = this.#d.rsInformer.lister.get(namespace, name);
    if (!rs) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const needsSync = this.expectations.satisfiedExpectations(key);
    const selector = labelSelectorAsSelector(rs.spec?.selector as LabelSelector | undefined);
    const allPods = this.#d.podInformer.lister.listNamespaced(namespace).filter(isPodActive);
    const owner = ownerOf(rs);
    const filteredPods = await claimObjects<Pod>({
      owner, selector, objects: allPods,
      patch: (podName, body) => this.#d.pods.patch(namespace, podName, 'strategic', body),
      getOwner: () => this.#d.replicaSets.get(namespace, name),
    });

    let manageErr: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try { await this.#manageReplicas(filteredPods, rs, key); } catch (e) { manageErr = e; }
    }
    const status = calculateStatus(rs, filteredPods, manageErr, this.#d.clock.now());
    const updated = await this.#updateStatus(rs, status);
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (manageErr === undefined && minReady > 0 && updated.status?.readyReplicas === updated.spec?.replicas
      && updated.status?.availableReplicas !== updated.spec?.replicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (manageErr !== undefined) throw manageErr;
  }

  async #manageReplicas(filteredPods: readonly ReadonlyPod[], rs: ReadonlyRS, key: string): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    let diff = filteredPods.length - want;
    if (diff < 0) {
      diff = Math.min(-diff, BURST_REPLICAS);
      // Expect before creating: the informer may show a new pod before create() returns.
      this.expectations.expectCreations(key, diff);
      this.#d.logger.debug({ replicaSet: key, need: want, creating: diff }, 'Too few replicas');
      const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, () => this.#createPod(rs));
      // Creates never attempted will never be observed.
      for (let i = successes; i < diff; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(filteredPods, this.#relatedPods(rs), diff, this.#d.clock.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      this.#d.logger.debug({ replicaSet: key, need: want, deleting: diff }, 'Too many replicas');
      const errs: unknown[] = [];
      await Promise.all(victims.map(async (pod) => {
        try {
          await this.#d.pods.delete(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
          this.#d.recorder.event(rsRef(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name ?? ''}`);
        } catch (e) {
          this.expectations.deletionObserved(key, podKey(pod));
          if (isNotFound(e)) return;
          this.#d.recorder.event(rsRef(rs), 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          errs.push(e);
        }
      }));
      if (errs.length > 0) throw errs[0];
    }
  }

  async #createPod(rs: ReadonlyRS): Promise<void> {
    const template = structuredClone(rs.spec?.template) as Pod | undefined;
    const labels = template?.metadata?.labels ?? {};
    const rsName = rs.metadata?.name ?? '';
    if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
    const pod: Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        generateName: `${rsName}-`,
        labels,
        ...(template?.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ...(template?.metadata?.finalizers ? { finalizers: template.metadata.finalizers } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      ...(template?.spec ? { spec: template.spec } : {}),
    };
    try {
      const created = await this.#d.pods.create(rs.metadata?.namespace ?? '', pod);
      this.#d.recorder.event(rsRef(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
    } catch (e) {
      this.#d.recorder.event(rsRef(rs), 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Active pods of every ReplicaSet with the same controller as rs (getIndirectlyRelatedPods). */
  #relatedPods(rs: ReadonlyRS): ReadonlyPod[] {
    const ns = rs.metadata?.namespace ?? '';
    const ownerUid = controllerRef(rs as ReplicaSet)?.uid;
    const related = new Set<string>([rs.metadata?.uid ?? '']);
    if (ownerUid) {
      for (const other of this.#d.rsInformer.lister.listNamespaced(ns)) {
        if (controllerRef(other as ReplicaSet)?.uid === ownerUid) related.add(other.metadata?.uid ?? '');
      }
    }
    return this.#d.podInformer.lister.listNamespaced(ns).filter((p) => isPodActive(p) && related.has(controllerRef(p as Pod)?.uid ?? ''));
  }

  /** PUT status if it changed; one retry on a fresh copy (updateReplicaSetStatus). */
  async #updateStatus(rs: ReadonlyRS, status: ReplicaSetStatus): Promise<ReadonlyRS> {
    const generation = rs.metadata?.generation ?? 0;
    if (sameStatus(rs.status as ReplicaSetStatus | undefined, status) && rs.status?.observedGeneration === generation) return rs;
    const ns = rs.metadata?.namespace ?? '';
    let current = structuredClone(rs) as ReplicaSet;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#d.replicaSets.updateStatus(ns, { ...current, status: { ...status, observedGeneration: current.metadata?.generation ?? generation } });
      } catch (e) {
        if (attempt >= 1) throw e;
        current = await this.#d.replicaSets.get(ns, rs.metadata?.name ?? '');
      }
    }
  }
}

export function ownerOf(rs: ReadonlyRS) {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: rs.metadata?.name ?? '', namespace: rs.metadata?.namespace ?? '', uid: rs.metadata?.uid ?? '', deletionTimestamp: rs.metadata?.deletionTimestamp },
  };
}

/** The RS with its type filled in: cached list items carry no kind, events need one. */
function rsRef(rs: ReadonlyRS): ReadonlyRS { return { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }; }

/** Runs count calls in batches of 1, 2, 4, ...; stops after the first batch with a failure. */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error: unknown }> {
  let remaining = count, successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
  }
  return { successes, error: undefined };
}

/** The status the pods say the RS has (calculateStatus). */
export function calculateStatus(rs: ReadonlyRS, pods: readonly ReadonlyPod[], manageErr: unknown, nowMs: number): ReplicaSetStatus {
  const templateLabels = selectorFromSet((rs.spec?.template?.metadata?.labels ?? {}) as Record<string, string>);
  let fullyLabeled = 0, ready = 0, available = 0;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, rs.spec?.minReadySeconds ?? 0, nowMs)) available++;
    }
  }
  let conditions = [...((rs.status?.conditions ?? []) as ReplicaSetCondition[])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowRfc3339(new Date(nowMs)), reason, message: (manageErr as Error).message });
  } else if (manageErr === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    ...(rs.status?.observedGeneration !== undefined ? { observedGeneration: rs.status.observedGeneration } : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
  };
}

function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return (a?.replicas ?? 0) === b.replicas && (a?.fullyLabeledReplicas ?? 0) === (b.fullyLabeledReplicas ?? 0)
    && (a?.readyReplicas ?? 0) === (b.readyReplicas ?? 0) && (a?.availableReplicas ?? 0) === (b.availableReplicas ?? 0)
    && JSON.stringify(a?.conditions ?? []) === JSON.stringify(b.conditions ?? []);
}
