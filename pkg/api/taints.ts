// Taints and tolerations (core/v1 Toleration.ToleratesTaint), shared by the scheduler's
// TaintToleration filter and the controller-manager's taint-based eviction.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

type ReadonlyToleration = Readonly<Toleration>;
type ReadonlyTaint = Readonly<Taint>;

export function toleratesTaint(toleration: ReadonlyToleration, taint: ReadonlyTaint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly ReadonlyToleration[] | undefined, taint: ReadonlyTaint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}
