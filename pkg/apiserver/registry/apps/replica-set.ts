// ReplicaSets (pkg/registry/apps/replicaset/strategy.go).
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusTo, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import { validateNonNegative, validateSelectorUnchanged, validateWorkloadSpec } from './workload-validation.js';

type ReplicaSetObject = ReplicaSet & KubeObject;

function validate(rs: ReplicaSetObject) {
  return [...validateObjectMeta(rs.metadata), ...validateWorkloadSpec(rs.spec, 'deployment', 'ReplicaSet')];
}

export const replicaSetStrategy = {
  defaults(rs) {
    if (!rs.spec) return;
    rs.spec.replicas ??= 1;
    setPodTemplateDefaults(rs.spec.template);
  },
  prepareForCreate: clearStatusTo({ replicas: 0 }),
  validate,
  prepareForUpdate(rs, old) { keepStatusAndBumpGeneration(rs, old); },
  validateUpdate(rs, old) {
    return [...validate(rs), ...validateSelectorUnchanged(rs.spec?.selector, old.spec?.selector)];
  },
  prepareForStatusUpdate(rs, old) {
    keepSpec(rs, old);
    keepGeneration(rs, old);
  },
  validateStatusUpdate(rs) {
    const s = rs.status;
    return [
      ...validateNonNegative('status.replicas', s?.replicas),
      ...validateNonNegative('status.fullyLabeledReplicas', s?.fullyLabeledReplicas),
      ...validateNonNegative('status.readyReplicas', s?.readyReplicas),
      ...validateNonNegative('status.availableReplicas', s?.availableReplicas),
      ...validateNonNegative('status.observedGeneration', s?.observedGeneration),
    ];
  },
} satisfies Strategy<ReplicaSetObject>;
