// What the collector does with one object whose owners it has looked up (upstream
// attemptToDeleteItem's classifyReferences and the switch after it), as plain data.
import { FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN } from './dependency-graph.js';

/**
 * solid: the owner exists and is not being deleted in the foreground;
 * dangling: the owner is gone (404, or another object with a new uid holds the name);
 * waitingForDependentsDeletion: the owner exists with deletionTimestamp + foregroundDeletion.
 */
export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export type AttemptToDeletePlan =
  | { action: 'none' }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; propagationPolicy: PropagationPolicy };

export interface ClassifiedOwner { uid: string; state: OwnerState }

export function planAttemptToDelete(owners: readonly ClassifiedOwner[], item: { hasDependents: boolean; finalizers: readonly string[] }): AttemptToDeletePlan {
  if (owners.length === 0) return { action: 'none' };
  const solid = owners.filter((o) => o.state === 'solid');
  const waiting = owners.filter((o) => o.state === 'waitingForDependentsDeletion');
  if (solid.length > 0) {
    // A live owner keeps the object; only the references to gone or going owners are dropped.
    const uids = owners.filter((o) => o.state !== 'solid').map((o) => o.uid);
    return uids.length > 0 ? { action: 'removeOwnerReferences', uids } : { action: 'none' };
  }
  // Its own dependents must go first when an owner waits for the whole subtree.
  if (waiting.length > 0 && item.hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  // Every owner is gone (or going): delete it, honouring a policy someone already asked for.
  if (item.finalizers.includes(FINALIZER_ORPHAN)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (item.finalizers.includes(FINALIZER_DELETE_DEPENDENTS)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}
