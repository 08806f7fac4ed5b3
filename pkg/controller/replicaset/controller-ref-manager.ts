// Adopting and releasing owned objects (controller_ref_manager.go ClaimObject): an orphan
// that matches the owner's selector is adopted, an owned object that stopped matching is
// released, and objects controlled by someone else are left alone. Both are strategic merge
// patches of metadata.ownerReferences carrying the object's uid as a precondition.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { StatusError, isNotFound } from '../../api/errors.js';
import type { Selector } from '../../api/labels.js';
import { controllerRef } from '../../api/meta.js';
import type { MetaObject } from '../../client/indexer.js';
import type { DeepReadonly } from '../../client/lister.js';

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string | undefined };
}

export interface ClaimOptions<T extends MetaObject> {
  owner: Owner;
  selector: Pick<Selector, 'matches'>;
  objects: readonly DeepReadonly<T>[];
  /** A strategic merge patch of one object of the owner's namespace. */
  patch(name: string, body: object): Promise<unknown>;
  /** A fresh read of the owner; adoption is refused when it is gone or being deleted. */
  getOwner(): Promise<{ metadata?: { uid?: string; deletionTimestamp?: string } }>;
}

export function ownerReference(owner: Owner): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The objects the owner controls after adopting and releasing; throws the first error after trying all. */
export async function claimObjects<T extends MetaObject>(opts: ClaimOptions<T>): Promise<DeepReadonly<T>[]> {
  const { owner, selector } = opts;
  const claimed: DeepReadonly<T>[] = [];
  const errs: unknown[] = [];
  let adoptable: Promise<void> | undefined;
  // RecheckDeletionTimestamp: one quorum read per claim, and only if something is to be adopted.
  const canAdopt = () => (adoptable ??= opts.getOwner().then((fresh) => {
    if (fresh.metadata?.uid !== owner.metadata.uid) {
      throw new StatusError(409, 'Conflict', `original ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata?.uid ?? ''}, wanted ${owner.metadata.uid}`);
    }
    if (fresh.metadata.deletionTimestamp) {
      throw new StatusError(409, 'Conflict', `${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  }));

  for (const obj of opts.objects) {
    const meta = obj.metadata;
    const name = meta?.name ?? '';
    const ref = controllerRef(obj as MetaObject);
    const matches = selector.matches(meta?.labels);
    try {
      if (ref) {
        if (ref.uid !== owner.metadata.uid) continue;
        if (matches) { claimed.push(obj); continue; }
        if (owner.metadata.deletionTimestamp) continue;
        await release(opts, name, meta?.uid ?? '');
        continue;
      }
      if (owner.metadata.deletionTimestamp || !matches || meta?.deletionTimestamp) continue;
      await canAdopt();
      try {
        await opts.patch(name, { metadata: { ownerReferences: [ownerReference(owner)], uid: meta?.uid } });
        claimed.push(obj);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    } catch (e) {
      errs.push(e);
    }
  }
  if (errs.length > 0) throw errs[0];
  return claimed;
}

async function release<T extends MetaObject>(opts: ClaimOptions<T>, name: string, uid: string): Promise<void> {
  try {
    await opts.patch(name, { metadata: { ownerReferences: [{ $patch: 'delete', uid: opts.owner.metadata.uid }], uid } });
  } catch (e) {
    // Gone, or no longer ours (an Invalid uid precondition): nothing to release.
    if (isNotFound(e) || (e instanceof StatusError && e.code === 422)) return;
    throw e;
  }
}
