// The status conditions the namespace controller reports while it empties a namespace,
// worded byte for byte as upstream's namespace deleter writes them (kubectl describe shows them).
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';

export interface ContentDeletionResult {
  /** Seconds until what remains is expected to be gone; 0 = nothing remains. */
  estimateSeconds: number;
  /** One message per resource whose deletion failed. */
  deletionErrors: string[];
  /** Remaining objects per resource, keyed `<resource>.<group>` (`pods.` for the core group, as upstream prints it). */
  remaining: ReadonlyMap<string, number>;
  /** Remaining objects per finalizer they carry. */
  finalizersRemaining: ReadonlyMap<string, number>;
}

type Condition = Pick<NamespaceCondition, 'type' | 'status' | 'reason' | 'message'>;

export function namespaceDeletionConditions(result: ContentDeletionResult, existing: readonly NamespaceCondition[] | undefined, now: string): NamespaceCondition[] {
  const remaining = [...result.remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
  const finalizers = [...result.finalizersRemaining].map(([f, n]) => `${f} in ${n} resource instances`).sort();
  const errs = result.deletionErrors;
  const desired: Condition[] = [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    errs.length > 0
      ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${errs.length} remaining: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}` }
      : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.length > 0
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    finalizers.length > 0
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
  const out: NamespaceCondition[] = [];
  for (const c of desired) {
    const old = existing?.find((e) => e.type === c.type);
    // An unchanged condition keeps its lastTransitionTime.
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) out.push(old);
    else out.push({ ...c, lastTransitionTime: now });
  }
  // Conditions someone else set stay as they are.
  for (const e of existing ?? []) if (!desired.some((c) => c.type === e.type)) out.push(e);
  return out;
}
