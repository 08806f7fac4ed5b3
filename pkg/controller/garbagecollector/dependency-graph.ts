// The garbage collector's view of ownership (upstream graph_builder.go's uidToNode): one small
// node per object uid with its owner references and the uids of its dependents, never the
// object itself, so watching every resource costs little beyond the shared caches. Owners
// that are referenced but not (yet) seen are "virtual" nodes, to be verified against the API.
// Every change returns the uids the collector must look at again.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { DeepReadonly } from '../../client/lister.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  identity: ObjectIdentity;
  owners: readonly DeepReadonly<OwnerReference>[];
  dependents: Set<string>;
  /** False for a virtual node: only known because a dependent names it. */
  observed: boolean;
  beingDeleted: boolean;
  /** deletionTimestamp + foregroundDeletion: waits for its blocking dependents. */
  deletingDependents: boolean;
  /** deletionTimestamp + orphan: its dependents lose their reference to it. */
  orphaningDependents: boolean;
}

export interface GraphChanges {
  attemptToDelete: string[];
  attemptToOrphan: string[];
}

export interface ObservedObject {
  metadata?: DeepReadonly<{
    uid?: string; name?: string; namespace?: string; deletionTimestamp?: string;
    finalizers?: string[]; ownerReferences?: OwnerReference[];
  }> | undefined;
}

/** Where an owner lives: a namespaced dependent's owners are in its namespace unless cluster-scoped. */
export type OwnerNamespaceFn = (ref: DeepReadonly<OwnerReference>, dependentNamespace: string) => string | undefined;

export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly #ownerNamespace: OwnerNamespaceFn;

  constructor(ownerNamespace: OwnerNamespaceFn) { this.#ownerNamespace = ownerNamespace; }

  get(uid: string): GraphNode | undefined { return this.#nodes.get(uid); }
  get size(): number { return this.#nodes.size; }

  /** An add or update seen by an informer. */
  observe(obj: ObservedObject, type: { apiVersion: string; kind: string }): GraphChanges {
    const out: GraphChanges = { attemptToDelete: [], attemptToOrphan: [] };
    const meta = obj.metadata;
    const uid = meta?.uid;
    if (!meta || !uid) return out;
    const identity: ObjectIdentity = { ...type, namespace: meta.namespace ?? '', name: meta.name ?? '', uid };
    const owners = (meta.ownerReferences ?? []).filter((r) => r.uid);
    let node = this.#nodes.get(uid);
    if (!node) {
      node = { identity, owners: [], dependents: new Set(), observed: true, beingDeleted: false, deletingDependents: false, orphaningDependents: false };
      this.#nodes.set(uid, node);
    } else if (!node.observed) {
      node.observed = true;
      node.identity = identity;
    }
    this.#updateOwners(node, owners, out);

    const finalizers = meta.finalizers ?? [];
    node.beingDeleted = Boolean(meta.deletionTimestamp);
    node.deletingDependents = node.beingDeleted && finalizers.includes(FINALIZER_DELETE_DEPENDENTS);
    node.orphaningDependents = node.beingDeleted && finalizers.includes(FINALIZER_ORPHAN);
    // Level-triggered: every sighting of a pending orphan or foreground deletion is work (the
    // queues drop duplicates), so nothing is lost when the collector restarts mid-way.
    if (node.orphaningDependents) out.attemptToOrphan.push(uid);
    if (node.deletingDependents) out.attemptToDelete.push(uid, ...node.dependents);
    // A dependent that appears while an owner is being deleted in the foreground must go too.
    if (owners.some((r) => this.#nodes.get(r.uid)?.deletingDependents)) out.attemptToDelete.push(uid);
    return out;
  }

  /** A delete seen by an informer, or a virtual owner found absent. */
  remove(uid: string): GraphChanges {
    const out: GraphChanges = { attemptToDelete: [], attemptToOrphan: [] };
    const node = this.#nodes.get(uid);
    if (!node) return out;
    this.#nodes.delete(uid);
    // Its dependents may now be garbage.
    out.attemptToDelete.push(...node.dependents);
    for (const ref of node.owners) {
      const owner = this.#nodes.get(ref.uid);
      if (!owner) continue;
      owner.dependents.delete(uid);
      // An owner waiting on this dependent may now finish.
      if (owner.deletingDependents) out.attemptToDelete.push(owner.identity.uid);
      this.#dropIfUnneededVirtual(owner);
    }
    return out;
  }

  #updateOwners(node: GraphNode, owners: readonly DeepReadonly<OwnerReference>[], out: GraphChanges): void {
    const uid = node.identity.uid;
    const before = new Map(node.owners.map((r) => [r.uid, r]));
    const after = new Map(owners.map((r) => [r.uid, r]));
    for (const [ownerUid, ref] of after) {
      const old = before.get(ownerUid);
      if (old) {
        // Unblocked: an owner waiting in the foreground may no longer need to wait.
        if (old.blockOwnerDeletion && !ref.blockOwnerDeletion) out.attemptToDelete.push(ownerUid);
        continue;
      }
      let owner = this.#nodes.get(ownerUid);
      if (!owner) {
        const namespace = this.#ownerNamespace(ref, node.identity.namespace);
        if (namespace === undefined) continue; // an owner that cannot exist (namespaced owner of a cluster-scoped object)
        owner = {
          identity: { apiVersion: ref.apiVersion, kind: ref.kind, namespace, name: ref.name, uid: ownerUid },
          owners: [], dependents: new Set(), observed: false,
          beingDeleted: false, deletingDependents: false, orphaningDependents: false,
        };
        this.#nodes.set(ownerUid, owner);
        // Never seen: find out whether it exists at all.
        out.attemptToDelete.push(ownerUid);
      }
      owner.dependents.add(uid);
    }
    for (const [ownerUid, ref] of before) {
      if (after.has(ownerUid)) continue;
      const owner = this.#nodes.get(ownerUid);
      if (!owner) continue;
      owner.dependents.delete(uid);
      if (ref.blockOwnerDeletion || owner.deletingDependents) out.attemptToDelete.push(ownerUid);
      this.#dropIfUnneededVirtual(owner);
    }
    node.owners = owners;
  }

  #dropIfUnneededVirtual(node: GraphNode): void {
    if (!node.observed && node.dependents.size === 0) this.#nodes.delete(node.identity.uid);
  }
}
