// The garbage collector (upstream pkg/controller/garbagecollector): watches every resource
// that can own or be owned, keeps the ownership graph, and
// - deletes objects whose owners are all gone (background propagation, dangling references),
// - deletes the dependents of an owner being deleted in the foreground, then removes its
//   foregroundDeletion finalizer once no dependent with blockOwnerDeletion is left,
// - strips the owner's reference from every dependent of an owner deleted with the orphan
//   policy, then removes its orphan finalizer.
// An owner is only ever judged gone after a live GET by name (404 or another uid): a stale
// cache must never cost a live object its dependents.
import type { Logger } from 'pino';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { RESOURCES, findKind, groupVersion, type ResourceInfo } from '../../api/resources.js';
import type { ResourceEventHandlerRegistration } from '../../client/informer.js';
import type { MetaObject } from '../../client/indexer.js';
import type { DeepReadonly } from '../../client/lister.js';
import type { RestClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../controller-context.js';
import { runController, unwrapTombstone, type Controller } from '../run-controller.js';
import {
  DependencyGraph, FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN,
  type GraphChanges, type GraphNode, type ObjectIdentity,
} from './dependency-graph.js';
import { planAttemptToDelete, type ClassifiedOwner } from './plan-attempt-to-delete.js';

/** Upstream's default ignoredResources: events own nothing and are owned by nothing. */
const IGNORED_RESOURCES = new Set(['events', 'events.events.k8s.io']);
const ABSENT_OWNER_CACHE_SIZE = 500;
const MAX_VIRTUAL_REQUEUE_MS = 300_000;

/** Every resource the collector watches: one version per group/resource, list + watch + delete. */
export function garbageCollectedResources(): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const res of RESOURCES) {
    const gr = res.group ? `${res.plural}.${res.group}` : res.plural;
    if (seen.has(gr) || IGNORED_RESOURCES.has(gr)) continue;
    if (!['list', 'watch', 'get', 'delete'].every((v) => res.verbs.includes(v))) continue;
    seen.add(gr);
    out.push(res);
  }
  return out;
}

/** The served resource an ownerReference names; any served version of its group will do. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return findKind(apiVersion, kind) ?? RESOURCES.find((r) => r.group === group && r.kind === kind && r.verbs.includes('get'));
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  readonly graph: DependencyGraph;
  readonly attemptToDelete: WorkQueue;
  readonly attemptToOrphan: WorkQueue;
  readonly #client: RestClient;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  readonly #registrations: ResourceEventHandlerRegistration[] = [];
  readonly #absentOwners = new Set<string>();
  readonly #virtualRequeues = new Map<string, number>();

  constructor(ctx: ControllerContext, resources: readonly ResourceInfo[] = garbageCollectedResources()) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.graph = new DependencyGraph((ref, dependentNamespace) => {
      const res = resourceForKind(ref.apiVersion, ref.kind);
      if (!res) return dependentNamespace; // unknown kind: assume it lives beside its dependent
      if (!res.namespaced) return '';
      return dependentNamespace === '' ? undefined : dependentNamespace;
    });
    this.attemptToDelete = new WorkQueue({ clock: ctx.clock, name: 'garbage_collector_attempt_to_delete' });
    this.attemptToOrphan = new WorkQueue({ clock: ctx.clock, name: 'garbage_collector_attempt_to_orphan' });
    for (const res of resources) {
      const type = { apiVersion: groupVersion(res), kind: res.kind };
      const informer = ctx.informers.informerFor<MetaObject>(res);
      this.#registrations.push(informer.addEventHandler({
        add: (obj) => this.#apply(this.graph.observe(obj, type)),
        update: (_old, obj) => this.#apply(this.graph.observe(obj, type)),
        delete: (obj) => {
          const uid = unwrapTombstone(obj).metadata?.uid;
          if (uid) this.#apply(this.graph.remove(uid));
        },
      }));
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#ctx.informers.start(signal);
    const common = { signal, synced: this.#registrations, logger: this.#log };
    await Promise.all([
      runController({ ...common, name: `${this.name}-attempt-to-delete`, queue: this.attemptToDelete,
        workers: this.#ctx.options.concurrentGcSyncs, sync: (uid) => this.syncAttemptToDelete(uid) }),
      runController({ ...common, name: `${this.name}-attempt-to-orphan`, queue: this.attemptToOrphan,
        workers: 1, sync: (uid) => this.syncAttemptToOrphan(uid) }),
    ]);
  }

  /** One object: is it garbage, or does an owner wait on its dependents? */
  async syncAttemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (!node.observed) { await this.#verifyVirtual(node); return; }
    this.#virtualRequeues.delete(uid);
    // Already on its way out, and nobody waits for its dependents: nothing to do.
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.#getLive(node.identity);
    if (!latest) return; // gone; the informer's delete event does the rest
    const finalizers = latest.metadata?.finalizers ?? [];
    if (latest.metadata?.deletionTimestamp && finalizers.includes(FINALIZER_DELETE_DEPENDENTS)) {
      await this.#processDeletingDependents(node, latest);
      return;
    }
    const refs = (latest.metadata?.ownerReferences ?? []).filter((r) => r.uid);
    if (refs.length === 0) return;
    const owners: ClassifiedOwner[] = [];
    for (const ref of refs) owners.push({ uid: ref.uid, state: await this.#classify(ref, node.identity.namespace) });
    const plan = planAttemptToDelete(owners, { hasDependents: node.dependents.size > 0, finalizers });
    const log = this.#log.child({ object: describe(node.identity) });
    switch (plan.action) {
      case 'none': return;
      case 'removeOwnerReferences':
        log.info({ owners: plan.uids }, 'Removing references to owners that are gone');
        await this.#patchOwnerReferences(node.identity, latest, (r) => !plan.uids.includes(r.uid));
        return;
      case 'delete': {
        log.info({ propagationPolicy: plan.propagationPolicy }, 'Deleting object whose owners are all gone');
        const res = resourceForKind(node.identity.apiVersion, node.identity.kind)!;
        try {
          await this.#client.delete(res, node.identity.namespace, node.identity.name, {
            propagationPolicy: plan.propagationPolicy,
            preconditions: { uid, ...(latest.metadata?.resourceVersion ? { resourceVersion: latest.metadata.resourceVersion } : {}) },
          });
        } catch (e) {
          if (!isNotFound(e)) throw e; // a conflict means it changed: look again
        }
        return;
      }
    }
  }

  /** An owner deleted with propagationPolicy=Orphan: release every dependent, then let it go. */
  async syncAttemptToOrphan(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node?.observed) return;
    const latest = await this.#getLive(node.identity);
    if (!latest?.metadata?.deletionTimestamp || !(latest.metadata.finalizers ?? []).includes(FINALIZER_ORPHAN)) return;
    for (const depUid of [...node.dependents]) {
      const dep = this.graph.get(depUid);
      if (!dep) continue;
      for (let attempt = 0; ; attempt++) {
        const current = await this.#getLive(dep.identity);
        if (!current || !(current.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)) break;
        try {
          await this.#patchOwnerReferences(dep.identity, current, (r) => r.uid !== uid);
          break;
        } catch (e) {
          if (isNotFound(e)) break;
          if (!isConflict(e) || attempt >= 4) throw e;
        }
      }
    }
    this.#log.info({ object: describe(node.identity) }, 'Orphaned dependents; removing the orphan finalizer');
    await this.#removeFinalizer(node.identity, latest, FINALIZER_ORPHAN);
  }

  #apply(changes: GraphChanges): void {
    for (const uid of changes.attemptToDelete) this.attemptToDelete.add(uid);
    for (const uid of changes.attemptToOrphan) this.attemptToOrphan.add(uid);
  }

  /** A referenced owner never seen by an informer: absent → its dependents are garbage. */
  async #verifyVirtual(node: GraphNode): Promise<void> {
    const uid = node.identity.uid;
    const res = resourceForKind(node.identity.apiVersion, node.identity.kind);
    if (!res) {
      this.#log.warn({ owner: describe(node.identity) }, 'Owner of an unknown kind; leaving its dependents alone');
      return;
    }
    if (this.#absentOwners.has(uid) || !(await this.#getLive(node.identity))) {
      this.#rememberAbsent(uid);
      this.#virtualRequeues.delete(uid);
      this.#apply(this.graph.remove(uid));
      return;
    }
    // It exists but the informer has not shown it yet: look again later.
    const n = this.#virtualRequeues.get(uid) ?? 0;
    this.#virtualRequeues.set(uid, n + 1);
    this.attemptToDelete.addAfter(uid, Math.min(100 * 2 ** n, MAX_VIRTUAL_REQUEUE_MS));
  }

  /** Upstream processDeletingDependentsItem. */
  async #processDeletingDependents(node: GraphNode, latest: KubeObject): Promise<void> {
    const uid = node.identity.uid;
    const blocking: GraphNode[] = [];
    for (const depUid of node.dependents) {
      const dep = this.graph.get(depUid);
      if (dep?.owners.some((r) => r.uid === uid && r.blockOwnerDeletion)) blocking.push(dep);
    }
    if (blocking.length === 0) {
      this.#log.info({ object: describe(node.identity) }, 'No blocking dependents left; removing the foregroundDeletion finalizer');
      await this.#removeFinalizer(node.identity, latest, FINALIZER_DELETE_DEPENDENTS);
      return;
    }
    // Their deletion events bring the owner back here.
    for (const dep of blocking) if (!dep.beingDeleted || dep.deletingDependents) this.attemptToDelete.add(dep.identity.uid);
  }

  async #classify(ref: DeepReadonly<OwnerReference>, dependentNamespace: string): Promise<ClassifiedOwner['state']> {
    if (this.#absentOwners.has(ref.uid)) return 'dangling';
    const res = resourceForKind(ref.apiVersion, ref.kind);
    if (!res) {
      this.#log.warn({ owner: `${ref.kind}/${ref.name}` }, 'Owner of an unknown kind; treating it as present');
      return 'solid';
    }
    if (res.namespaced && dependentNamespace === '') return 'solid'; // cannot be checked; never delete on it
    const owner = await this.#getLive({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: res.namespaced ? dependentNamespace : '', name: ref.name, uid: ref.uid });
    if (!owner) { this.#rememberAbsent(ref.uid); return 'dangling'; }
    const m = owner.metadata;
    if (m?.deletionTimestamp && (m.finalizers ?? []).includes(FINALIZER_DELETE_DEPENDENTS)) return 'waitingForDependentsDeletion';
    return 'solid';
  }

  /** The object as the API has it now, or undefined when it is gone (or the name has a new uid). */
  async #getLive(identity: ObjectIdentity): Promise<KubeObject | undefined> {
    const res = resourceForKind(identity.apiVersion, identity.kind);
    if (!res) throw new Error(`no served resource for ${identity.apiVersion} ${identity.kind}`);
    try {
      const obj = await this.#client.get<KubeObject>(res, res.namespaced ? identity.namespace : '', identity.name);
      return obj.metadata?.uid === identity.uid ? obj : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async #patchOwnerReferences(identity: ObjectIdentity, latest: KubeObject, keep: (r: OwnerReference) => boolean): Promise<void> {
    const res = resourceForKind(identity.apiVersion, identity.kind)!;
    const remaining = (latest.metadata?.ownerReferences ?? []).filter(keep);
    await this.#client.patch(res, res.namespaced ? identity.namespace : '', identity.name, 'merge', {
      metadata: { resourceVersion: latest.metadata?.resourceVersion, ownerReferences: remaining.length > 0 ? remaining : null },
    });
  }

  async #removeFinalizer(identity: ObjectIdentity, latest: KubeObject, finalizer: string): Promise<void> {
    const res = resourceForKind(identity.apiVersion, identity.kind)!;
    let current: KubeObject | undefined = latest;
    for (let attempt = 0; current; attempt++) {
      const rest = (current.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
      if (rest.length === (current.metadata?.finalizers ?? []).length) return;
      try {
        await this.#client.patch(res, res.namespaced ? identity.namespace : '', identity.name, 'merge', {
          metadata: { resourceVersion: current.metadata?.resourceVersion, finalizers: rest.length > 0 ? rest : null },
        });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
      current = await this.#getLive(identity);
    }
  }

  #rememberAbsent(uid: string): void {
    // uids are never reused, so an owner once gone stays gone.
    this.#absentOwners.add(uid);
    if (this.#absentOwners.size > ABSENT_OWNER_CACHE_SIZE) {
      const oldest = this.#absentOwners.values().next().value;
      if (oldest !== undefined) this.#absentOwners.delete(oldest);
    }
  }
}

function describe(id: ObjectIdentity): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} (${id.uid})`;
}
