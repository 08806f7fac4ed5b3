// PodDisruptionBudgets (pkg/registry/policy/poddisruptionbudget/strategy.go).
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateIntOrPercent } from '../apps/workload-validation.js';
import { validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusTo, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';

type PdbObject = PodDisruptionBudget & KubeObject;

const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

function validate(pdb: PdbObject): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata);
  const spec = pdb.spec;
  if (!spec) return errs;
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  errs.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable', true));
  errs.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable', true));
  const p = spec.unhealthyPodEvictionPolicy;
  if (p && !UNHEALTHY_POD_EVICTION_POLICIES.includes(p)) {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', p, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

export const podDisruptionBudgetStrategy = {
  prepareForCreate: clearStatusTo({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  validate,
  prepareForUpdate(pdb, old) { keepStatusAndBumpGeneration(pdb, old); },
  validateUpdate: validate,
  prepareForStatusUpdate(pdb, old) {
    keepSpec(pdb, old);
    keepGeneration(pdb, old);
  },
} satisfies Strategy<PdbObject>;
