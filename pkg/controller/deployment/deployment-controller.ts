// The deployment controller (pkg/controller/deployment): each Deployment owns ReplicaSets named
// `<deployment>-<pod-template-hash>`; the one whose template equals the deployment's is the
// new one, all others are old. One sync makes one step: scale only (paused or a replicas
// change), or roll out by the strategy (RollingUpdate within maxSurge/maxUnavailable,
// Recreate), then publish status and the Progressing/Available conditions.
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import { controllerRef, objectKey, splitKey } from '../../api/meta.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { DeletedFinalStateUnknown, SharedInformer } from '../../client/informer.js';
import type { DeepReadonly } from '../../client/lister.js';
import { defaultControllerRateLimiter } from '../../client/rate-limiter.js';
import type { ResourceClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../controller-context.js';
import { claimObjects } from '../replicaset/controller-ref-manager.js';
import { keyOf, runController, unwrapTombstone, type Controller } from '../run-controller.js';
import {
  DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, REASON, REVISION_ANNOTATION, actualReplicas, calculateStatus, deploymentComplete,
  deploymentProgressing, deploymentTimedOut, desiredReplicasAnnotation, filterActive, findActiveOrLatest, findNewReplicaSet,
  findOldReplicaSets, getCondition, getProportion, hasProgressDeadline, hasRevisionHistoryLimit, isRollingUpdate, isSaturated,
  maxRevision, maxSurge, maxUnavailable, newCondition, newRSNewReplicas, removeCondition, replicasAnnotationsNeedUpdate, replicasOf,
  setCondition, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations, sortByCreation, sortByRevision,
  sortBySizeNewer, sortBySizeOlder, specReplicas,
} from './deployment-util.js';
import { computeHash } from './pod-template-hash.js';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';
/** Keys failing this many times in a row are dropped (upstream maxRetries). */
const MAX_RETRIES = 15;

export interface DeploymentControllerDeps {
  deploymentInformer: SharedInformer<Deployment>;
  rsInformer: SharedInformer<ReplicaSet>;
  podInformer: SharedInformer<Pod>;
  deployments: ResourceClient<Deployment>;
  replicaSets: ResourceClient<ReplicaSet>;
  recorder: Pick<EventRecorder, 'event'>;
  clock: Clock;
  logger: Logger;
  workers: number;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly queue: WorkQueue;
  readonly #d: DeploymentControllerDeps;
  readonly #synced;

  static fromContext(ctx: ControllerContext): DeploymentController {
    return new DeploymentController({
      deploymentInformer: ctx.informers.informer('deployments'),
      rsInformer: ctx.informers.informer('replicasets'),
      podInformer: ctx.informers.informer('pods'),
      deployments: ctx.client.resource('deployments'),
      replicaSets: ctx.client.resource('replicasets'),
      recorder: ctx.eventRecorder(DEPLOYMENT_CONTROLLER),
      clock: ctx.clock,
      logger: ctx.logger.child({ controller: 'deployment' }),
      workers: ctx.options.concurrentDeploymentSyncs,
    });
  }

  constructor(deps: DeploymentControllerDeps) {
    this.#d = deps;
    this.queue = new WorkQueue({ name: 'deployment', clock: deps.clock, rateLimiter: defaultControllerRateLimiter(deps.clock) });
    this.#synced = [
      deps.deploymentInformer.addEventHandler({
        add: (d) => this.queue.add(objectKey(d)),
        update: (_old, cur) => this.queue.add(objectKey(cur)),
        delete: (obj) => this.queue.add(keyOf(obj)),
      }),
      deps.rsInformer.addEventHandler({
        add: (rs) => this.#addReplicaSet(rs),
        update: (old, cur) => this.#updateReplicaSet(old, cur),
        delete: (obj) => this.#deleteReplicaSet(obj),
      }),
      deps.podInformer.addEventHandler({ delete: (obj) => this.#deletePod(obj) }),
    ];
  }

  run(signal: AbortSignal): Promise<void> {
    return runController({ name: this.name, queue: this.queue, workers: this.#d.workers, sync: (k) => this.sync(k), signal, synced: this.#synced, logger: this.#d.logger, maxRetries: MAX_RETRIES });
  }

  #resolveControllerRef(namespace: string, obj: { metadata?: unknown }): DeepReadonly<Deployment> | undefined {
    const ref = controllerRef(obj as ReplicaSet);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.#d.deploymentInformer.lister.get(namespace, ref.name);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose selector matches an orphan RS. */
  #deploymentsFor(rs: DeepReadonly<ReplicaSet>): DeepReadonly<Deployment>[] {
    if (!rs.metadata?.labels) return [];
    return this.#d.deploymentInformer.lister.listNamespaced(rs.metadata.namespace ?? '').filter((d) => {
      const sel = labelSelectorAsSelector(d.spec?.selector as LabelSelector | undefined);
      return !sel.isEmpty() && sel.matches(rs.metadata?.labels);
    });
  }

  #addReplicaSet(rs: DeepReadonly<ReplicaSet>): void {
    if (rs.metadata?.deletionTimestamp) { this.#deleteReplicaSet(rs); return; }
    if (controllerRef(rs as ReplicaSet)) {
      const d = this.#resolveControllerRef(rs.metadata?.namespace ?? '', rs);
      if (d) this.queue.add(objectKey(d));
      return;
    }
    for (const d of this.#deploymentsFor(rs)) this.queue.add(objectKey(d));
  }

  #updateReplicaSet(old: DeepReadonly<ReplicaSet>, cur: DeepReadonly<ReplicaSet>): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const ns = cur.metadata?.namespace ?? '';
    const curRef = controllerRef(cur as ReplicaSet), oldRef = controllerRef(old as ReplicaSet);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const d = this.#resolveControllerRef(ns, old);
      if (d) this.queue.add(objectKey(d));
    }
    if (curRef) {
      const d = this.#resolveControllerRef(ns, cur);
      if (d) this.queue.add(objectKey(d));
      return;
    }
    const labelChanged = !isDeepStrictEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (labelChanged || refChanged) for (const d of this.#deploymentsFor(cur)) this.queue.add(objectKey(d));
  }

  #deleteReplicaSet(obj: DeepReadonly<ReplicaSet> | DeletedFinalStateUnknown<DeepReadonly<ReplicaSet>>): void {
    const rs = unwrapTombstone(obj);
    const d = this.#resolveControllerRef(rs.metadata?.namespace ?? '', rs);
    if (d) this.queue.add(objectKey(d));
  }

  /** Recreate waits for old pods to be gone: each pod deletion may be the one it waits for. */
  #deletePod(obj: DeepReadonly<Pod> | DeletedFinalStateUnknown<DeepReadonly<Pod>>): void {
    const pod = unwrapTombstone(obj);
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerRef(pod as Pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.#d.rsInformer.lister.get(ns, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.#resolveControllerRef(ns, rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.queue.add(objectKey(d));
  }

  /** One step for the Deployment under key (syncDeployment). */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.#d.deploymentInformer.lister.get(namespace, name);
    if (!cached) return;
    const d = structuredClone(cached) as Deployment;
    const selector = d.spec?.selector;
    if (!selector || (!selector.matchLabels && !selector.matchExpressions) || isDeepStrictEqual(selector, {})) {
      this.#event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.#updateStatus(d, { ...d.status, observedGeneration: d.metadata?.generation ?? 0 });
      }
      return;
    }
    const rsList = await this.#replicaSetsFor(d);
    if (d.metadata?.deletionTimestamp) { await this.#syncScaleOnly(d, rsList, { scale: false }); return; }
    await this.#checkPausedConditions(d);
    if (d.spec?.paused || await this.#isScalingEvent(d, rsList)) { await this.#syncScaleOnly(d, rsList, { scale: true }); return; }
    if (d.spec?.strategy?.type === 'Recreate') await this.#rolloutRecreate(d, rsList);
    else await this.#rolloutRolling(d, rsList);
  }

  /** The RSes this deployment controls, after adopting and releasing (getReplicaSetsForDeployment). */
  async #replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const ns = d.metadata?.namespace ?? '';
    const claimed = await claimObjects<ReplicaSet>({
      owner: deploymentOwner(d),
      selector: labelSelectorAsSelector(d.spec?.selector),
      objects: this.#d.rsInformer.lister.listNamespaced(ns),
      patch: (rsName, body) => this.#d.replicaSets.patch(ns, rsName, 'strategic', body),
      getOwner: () => this.#d.deployments.get(ns, d.metadata?.name ?? ''),
    });
    return claimed.map((rs) => structuredClone(rs) as ReplicaSet);
  }

  async #checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON.TimedOut) return;
    const pausedCondExists = cond?.reason === REASON.PausedDeploy;
    const now = this.#d.clock.now();
    const status: DeploymentStatus = { ...d.status };
    if (d.spec?.paused && !pausedCondExists) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.PausedDeploy, 'Deployment is paused', now));
    } else if (!d.spec?.paused && pausedCondExists) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.ResumedDeploy, 'Deployment is resumed', now));
    } else {
      return;
    }
    await this.#updateStatus(d, status);
  }

  /** A replicas change not yet passed on to the active RSes' desired-replicas annotation. */
  async #isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.#allReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  /** No rollout: paused or a replicas change scale (sync in sync.go); being deleted only reports (syncStatusOnly). */
  async #syncScaleOnly(d: Deployment, rsList: ReplicaSet[], opts: { scale: boolean }): Promise<void> {
    const { newRS, oldRSs } = await this.#allReplicaSetsAndSyncRevision(d, rsList, false);
    if (opts.scale) {
      await this.#scale(d, newRS, oldRSs);
      if (d.spec?.paused) await this.#cleanupDeployment(oldRSs, d);
    }
    const status = calculateStatus([...oldRSs, newRS], newRS, d, this.#d.clock.now());
    if (!isDeepStrictEqual(d.status ?? {}, status)) await this.#updateStatus(d, status);
  }

  async #allReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], createIfNotExisted: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.#newReplicaSet(d, rsList, oldRSs, createIfNotExisted);
    return { newRS, oldRSs };
  }

  /** The RS matching the deployment's template, its revision brought up to date; created when asked (getNewReplicaSet). */
  async #newReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
    const ns = d.metadata?.namespace ?? '';
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const now = this.#d.clock.now();
    if (existing) {
      const rsCopy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadyNeedsUpdate = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        const updated = await this.#d.replicaSets.update(ns, { ...rsCopy, spec: { ...rsCopy.spec, selector: rsCopy.spec?.selector ?? {}, minReadySeconds: d.spec?.minReadySeconds ?? 0 } });
        replaceIn(rsList, updated);
        return updated;
      }
      let needsUpdate = setDeploymentRevision(d, rsCopy.metadata?.annotations?.[REVISION_ANNOTATION]);
      const status: DeploymentStatus = { ...d.status };
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(status, newCondition('Progressing', 'True', REASON.FoundNewRS, `Found new replica set "${rsCopy.metadata?.name ?? ''}"`, now));
        needsUpdate = true;
      }
      if (needsUpdate) await this.#updateStatus(d, status);
      return rsCopy;
    }
    if (!createIfNotExisted) return undefined;

    const template = structuredClone(d.spec?.template ?? {});
    const hash = computeHash(template, d.status?.collisionCount);
    const labels = { ...template.metadata?.labels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash };
    const selector = structuredClone(d.spec?.selector ?? {});
    const rsName = `${d.metadata?.name ?? ''}-${hash}`;
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: rsName, namespace: ns, ownerReferences: [deploymentOwnerRef(d)], labels },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec?.minReadySeconds ?? 0,
        selector: { ...selector, matchLabels: { ...selector.matchLabels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash } },
        template: { ...template, metadata: { ...template.metadata, labels } },
      },
    };
    const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec = { ...newRS.spec, selector: newRS.spec?.selector ?? {}, replicas: newReplicas };
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.#d.replicaSets.create(ns, newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        alreadyExists = true;
        const found = this.#d.rsInformer.lister.get(ns, rsName) ?? await this.#d.replicaSets.get(ns, rsName);
        const ref = controllerRef(found as ReplicaSet);
        if (ref?.uid === d.metadata?.uid && findNewReplicaSet(d, [found as ReplicaSet])) {
          created = structuredClone(found) as ReplicaSet;
        } else {
          // A different template hashed to the same name: bump collisionCount and try again.
          await this.#updateStatus(d, { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          throw e;
        }
      } else {
        const msg = `Failed to create new replica set "${rsName}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status: DeploymentStatus = { ...d.status };
          setCondition(status, newCondition('Progressing', 'False', REASON.FailedRSCreate, msg, now));
          await this.#updateStatus(d, status).catch(() => undefined);
        }
        this.#event(d, 'Warning', REASON.FailedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExists && newReplicas > 0) {
      this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name ?? ''} to ${newReplicas} from 0`);
    }
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    const status: DeploymentStatus = { ...d.status };
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(status, newCondition('Progressing', 'True', REASON.NewReplicaSet, `Created new replica set "${created.metadata?.name ?? ''}"`, now));
      needsUpdate = true;
    }
    if (needsUpdate) await this.#updateStatus(d, status);
    return created;
  }

  /** Proportional scaling of the active RSes after a replicas change (scale in sync.go). */
  async #scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) === replicasOf(d)) return;
      await this.#scaleAndRecord(activeOrLatest, replicasOf(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.#scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    let all = filterActive([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let op = '';
    if (toAdd > 0) { all = sortBySizeNewer(all); op = 'up'; }
    else if (toAdd < 0) { all = sortBySizeOlder(all); op = 'down'; }
    let added = 0;
    const sizes = new Map<ReplicaSet, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = getProportion(rs, d, toAdd, added);
        sizes.set(rs, replicasOf(rs) + p);
        added += p;
      } else {
        sizes.set(rs, replicasOf(rs));
      }
    }
    for (const [i, rs] of all.entries()) {
      let size = sizes.get(rs) ?? 0;
      // Leftovers go to the largest.
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      await this.#scaleReplicaSet(rs, size, d, op);
    }
  }

  async #scaleAndRecord(rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.#scaleReplicaSet(rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');
  }

  async #scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment, op: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const sizeNeedsUpdate = replicasOf(rs) !== newScale;
    const max = replicasOf(d) + maxSurge(d);
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
    const oldScale = replicasOf(rs);
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec, selector: copy.spec?.selector ?? {}, replicas: newScale };
    setReplicasAnnotations(copy, replicasOf(d), max);
    const updated = await this.#d.replicaSets.update(rs.metadata?.namespace ?? '', copy);
    // Later steps of this sync read the RS again: give them what the server now holds.
    Object.assign(rs, updated);
    if (sizeNeedsUpdate) {
      this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata?.name ?? ''} to ${newScale} from ${oldScale}`);
    }
    return { scaled: sizeNeedsUpdate, rs };
  }

  async #rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.#allReplicaSetsAndSyncRevision(d, rsList, true);
    if (!newRS) return;
    const all = [...oldRSs, newRS];
    if (await this.#reconcileNewReplicaSet(all, newRS, d)) { await this.#syncRolloutStatus(all, newRS, d); return; }
    if (await this.#reconcileOldReplicaSets(all, filterActive(oldRSs), newRS, d)) { await this.#syncRolloutStatus(all, newRS, d); return; }
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(oldRSs, d);
    await this.#syncRolloutStatus(all, newRS, d);
  }

  async #reconcileNewReplicaSet(all: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d)) return (await this.#scaleAndRecord(newRS, replicasOf(d), d)).scaled;
    return (await this.#scaleAndRecord(newRS, newRSNewReplicas(d, all, newRS), d)).scaled;
  }

  async #reconcileOldReplicaSets(all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newRSUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specReplicas(all) - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return false;
    // Unhealthy old replicas go first: they would otherwise block the rollout.
    const cleaned = await this.#cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    const scaledDown = await this.#scaleDownOldReplicaSetsForRollingUpdate([...oldRSs, newRS], oldRSs, d);
    return cleaned + scaledDown > 0;
  }

  async #cleanupUnhealthyReplicas(oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): Promise<number> {
    let total = 0;
    for (const rs of sortByCreation(oldRSs)) {
      if (total >= maxCleanup) break;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
      const count = Math.min(maxCleanup - total, unhealthy);
      await this.#scaleAndRecord(rs, replicasOf(rs) - count, d);
      total += count;
    }
    return total;
  }

  async #scaleDownOldReplicaSetsForRollingUpdate(all: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    // Upstream sums status.availableReplicas. Right after a scale-down that status still counts
    // pods being deleted, and a sync in that window would scale down twice and break
    // maxUnavailable; an RS never keeps more than spec.replicas pods, so cap at that.
    const available = all.reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs)), 0);
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of sortByCreation(oldRSs)) {
      if (total >= toScaleDown) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), toScaleDown - total);
      await this.#scaleAndRecord(rs, replicasOf(rs) - count, d);
      total += count;
    }
    return total;
  }

  async #rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.#allReplicaSetsAndSyncRevision(d, rsList, false);
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) if ((await this.#scaleAndRecord(rs, 0, d)).scaled) scaledDown = true;
    if (scaledDown || this.#oldPodsRunning(newRS, oldRSs, rsList)) {
      await this.#syncRolloutStatus([...oldRSs, newRS], newRS, d);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await this.#allReplicaSetsAndSyncRevision(d, rsList, true));
    if (!newRS) return;
    await this.#scaleAndRecord(newRS, replicasOf(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(oldRSs, d);
    await this.#syncRolloutStatus([...oldRSs, newRS], newRS, d);
  }

  /** Old RSes still report pods, or the cache still holds non-terminal pods of them (oldPodsRunning). */
  #oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], rsList: ReplicaSet[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    const oldUids = new Set(rsList.map((rs) => rs.metadata?.uid ?? '').filter((u) => u !== newRS?.metadata?.uid));
    const ns = newRS?.metadata?.namespace ?? rsList[0]?.metadata?.namespace ?? '';
    return this.#d.podInformer.lister.listNamespaced(ns).some((pod) => {
      const ref = controllerRef(pod as Pod);
      if (!ref || !oldUids.has(ref.uid)) return false;
      return pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded';
    });
  }

  /** Deletes the oldest old RSes with no pods beyond revisionHistoryLimit (cleanupDeployment). */
  async #cleanupDeployment(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = sortByRevision(oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp));
    const diff = cleanable.length - (d.spec?.revisionHistoryLimit ?? 0);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if (!rs || (rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0
        || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.#d.replicaSets.delete(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  /** Status plus the Progressing condition, and a requeue to check the deadline (syncRolloutStatus). */
  async #syncRolloutStatus(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const now = this.#d.clock.now();
    const status = calculateStatus(all, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const isComplete = status.replicas === status.updatedReplicas && current?.reason === REASON.NewRSAvailable;
    const rsName = newRS?.metadata?.name;
    const dName = d.metadata?.name ?? '';
    if (hasProgressDeadline(d) && !isComplete) {
      if (deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${dName}" has successfully progressed.`;
        setCondition(status, newCondition('Progressing', 'True', REASON.NewRSAvailable, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${dName}" is progressing.`;
        let cond = newCondition('Progressing', 'True', REASON.RSUpdated, msg, now);
        if (current) {
          // Progress moves lastUpdateTime even when the reason stays the same.
          if (current.status === 'True' && current.lastTransitionTime) cond = { ...cond, lastTransitionTime: current.lastTransitionTime };
          removeCondition(status, 'Progressing');
        }
        setCondition(status, cond);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${dName}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASON.TimedOut, msg, now));
      }
    }
    const failure = replicaFailure(all, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');
    if (isDeepStrictEqual(d.status ?? {}, status)) {
      this.#requeueStuckDeployment(d, status, now);
      return;
    }
    await this.#updateStatus(d, status);
  }

  #requeueStuckDeployment(d: Deployment, status: DeploymentStatus, now: number): void {
    const current = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === REASON.TimedOut) return;
    const after = Date.parse(current.lastUpdateTime ?? '') + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - now;
    const key = objectKey(d);
    if (after < 1000) this.queue.addRateLimited(key);
    else this.queue.addAfter(key, after + 1000);
  }

  /** PUT status; the deployment object carries the new resourceVersion for later writes of the same sync. */
  async #updateStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    const updated = await this.#d.deployments.updateStatus(d.metadata?.namespace ?? '', { ...d, status });
    Object.assign(d, { metadata: updated.metadata, status: updated.status });
  }

  #event(d: Deployment, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#d.recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, type, reason, message);
  }
}

function replaceIn(list: ReplicaSet[], rs: ReplicaSet): void {
  const i = list.findIndex((x) => x.metadata?.uid === rs.metadata?.uid);
  if (i >= 0) list[i] = rs;
}

/** The RS ReplicaFailure condition as a deployment condition, new RS first (getReplicaFailures). */
function replicaFailure(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined) {
  for (const rs of [newRS, ...all]) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) {
      return {
        type: 'ReplicaFailure', status: c.status,
        ...(c.lastTransitionTime ? { lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime } : {}),
        ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}),
      };
    }
  }
  return undefined;
}

function deploymentOwner(d: Deployment) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: d.metadata?.name ?? '', namespace: d.metadata?.namespace ?? '', uid: d.metadata?.uid ?? '', deletionTimestamp: d.metadata?.deletionTimestamp },
  };
}

function deploymentOwnerRef(d: Deployment) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}
