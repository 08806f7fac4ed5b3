// Namespaces (pkg/registry/core/namespace/strategy.go, SetDefaults_Namespace).
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import { labelKeyErrors } from '../../../api/labels.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { dns1123LabelErrors, validateObjectMeta } from '../object-meta-validation.js';

type NamespaceObject = { -readonly [K in keyof Namespace]: Namespace[K] } & KubeObject;

export const FINALIZER_KUBERNETES = 'kubernetes';
const NAME_LABEL = 'kubernetes.io/metadata.name';

function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) {
    // Standard finalizers may be bare words; others must be qualified names with a prefix.
    if (f === FINALIZER_KUBERNETES) continue;
    for (const m of labelKeyErrors(f)) errs.push(field.invalid(path, f, m));
    if (!f.includes('/')) errs.push(field.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

function validate(ns: NamespaceObject): FieldError[] {
  return [...validateObjectMeta(ns.metadata), ...validateFinalizers(ns.spec?.finalizers, 'spec.finalizers')];
}

export const namespaceStrategy = {
  defaults(ns) {
    const name = ns.metadata?.name;
    if (name) ns.metadata = { ...ns.metadata, labels: { ...ns.metadata?.labels, [NAME_LABEL]: name } };
    if (ns.status) ns.status.phase ||= 'Active';
  },
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    const finalizers = ns.spec?.finalizers ?? [];
    // The kubernetes finalizer is required on create and only removed through /finalize.
    if (!finalizers.includes(FINALIZER_KUBERNETES)) ns.spec = { ...ns.spec, finalizers: [...finalizers, FINALIZER_KUBERNETES] };
  },
  validate,
  prepareForUpdate(ns, old) {
    ns.spec = { ...ns.spec };
    if (old.spec?.finalizers === undefined) delete ns.spec.finalizers;
    else ns.spec.finalizers = [...old.spec.finalizers];
    if (old.status === undefined) delete ns.status;
    else ns.status = structuredClone(old.status);
  },
  validateUpdate: validate,
  prepareForStatusUpdate(ns, old) {
    if (old.spec === undefined) delete ns.spec;
    else ns.spec = structuredClone(old.spec);
  },
  validateStatusUpdate(ns, old) {
    if (old.metadata?.deletionTimestamp === undefined && ns.status?.phase !== 'Active') {
      return [field.invalid('status.phase', ns.status?.phase ?? '', 'may only be \'Active\' if `deletionTimestamp` is empty')];
    }
    if (old.metadata?.deletionTimestamp !== undefined && ns.status?.phase !== 'Terminating') {
      return [field.invalid('status.phase', ns.status?.phase ?? '', 'may only be \'Terminating\' if `deletionTimestamp` is not empty')];
    }
    return [];
  },
} satisfies Strategy<NamespaceObject>;

/** The finalize subresource's rule: only spec.finalizers changes. */
export function prepareForFinalizeUpdate(ns: NamespaceObject, old: NamespaceObject): void {
  const finalizers = ns.spec?.finalizers;
  Object.assign(ns, structuredClone({ ...old, metadata: ns.metadata }));
  ns.spec = { ...ns.spec };
  if (finalizers === undefined) delete ns.spec.finalizers;
  else ns.spec.finalizers = finalizers;
}
