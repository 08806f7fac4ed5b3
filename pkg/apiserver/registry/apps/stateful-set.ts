// StatefulSets (pkg/registry/apps/statefulset/strategy.go, apps/v1 defaults and validation).
import type { StatefulSet, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusTo, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import { validateNonNegative, validateWorkloadSpec } from './workload-validation.js';

type StatefulSetObject = StatefulSet & KubeObject;

const POD_MANAGEMENT_POLICIES = ['OrderedReady', 'Parallel'];
const UPDATE_STRATEGY_TYPES = ['OnDelete', 'RollingUpdate'];
const RETENTION_POLICIES = ['Delete', 'Retain'];

function validate(s: StatefulSetObject): FieldError[] {
  const spec = s.spec;
  const errs = [
    ...validateObjectMeta(s.metadata),
    ...validateWorkloadSpec(spec, 'statefulset', 'StatefulSet'),
    ...validateNonNegative('spec.revisionHistoryLimit', spec?.revisionHistoryLimit),
  ];
  const pmp = spec?.podManagementPolicy;
  if (!pmp) errs.push(field.required('spec.podManagementPolicy'));
  else if (!POD_MANAGEMENT_POLICIES.includes(pmp)) errs.push(field.notSupported('spec.podManagementPolicy', pmp, POD_MANAGEMENT_POLICIES));
  const us = spec?.updateStrategy;
  if (!us?.type) errs.push(field.required('spec.updateStrategy'));
  else if (!UPDATE_STRATEGY_TYPES.includes(us.type)) errs.push(field.notSupported('spec.updateStrategy.type', us.type, UPDATE_STRATEGY_TYPES));
  else if (us.type === 'OnDelete' && us.rollingUpdate) {
    errs.push(field.invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else {
    errs.push(...validateNonNegative('spec.updateStrategy.rollingUpdate.partition', us.rollingUpdate?.partition));
  }
  const rp = spec?.persistentVolumeClaimRetentionPolicy;
  for (const k of ['whenDeleted', 'whenScaled'] as const) {
    const v = rp?.[k];
    if (v && !RETENTION_POLICIES.includes(v)) errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, RETENTION_POLICIES));
  }
  return errs;
}

// Only these fields of a StatefulSet's spec may change after creation.
const UPDATABLE: (keyof StatefulSetSpec)[] = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateSpecUpdate(spec: StatefulSetSpec | undefined, old: StatefulSetSpec | undefined): FieldError[] {
  const a = { ...spec } as Record<string, unknown>;
  const b = { ...old } as Record<string, unknown>;
  for (const k of UPDATABLE) { delete a[k]; delete b[k]; }
  return isDeepStrictEqual(a, b) ? [] : [field.forbidden('spec',
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}

export const statefulSetStrategy = {
  defaults(s) {
    if (!s.spec) return;
    const spec = s.spec;
    spec.podManagementPolicy ||= 'OrderedReady';
    spec.updateStrategy ??= {};
    spec.updateStrategy.type ||= 'RollingUpdate';
    if (spec.updateStrategy.type === 'RollingUpdate') {
      spec.updateStrategy.rollingUpdate ??= {};
      spec.updateStrategy.rollingUpdate.partition ??= 0;
    }
    spec.persistentVolumeClaimRetentionPolicy ??= {};
    spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
    spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    setPodTemplateDefaults(spec.template);
    for (const pvc of spec.volumeClaimTemplates ?? []) {
      if (pvc.spec) pvc.spec.volumeMode ||= 'Filesystem';
      (pvc as { status?: unknown }).status ??= { phase: 'Pending' };
    }
  },
  prepareForCreate: clearStatusTo({ replicas: 0, availableReplicas: 0 }),
  validate,
  prepareForUpdate(s, old) { keepStatusAndBumpGeneration(s, old); },
  validateUpdate(s, old) { return [...validate(s), ...validateSpecUpdate(s.spec, old.spec)]; },
  prepareForStatusUpdate(s, old) {
    keepSpec(s, old);
    keepGeneration(s, old);
  },
  validateStatusUpdate(s) {
    const st = s.status;
    return [
      ...validateNonNegative('status.replicas', st?.replicas),
      ...validateNonNegative('status.readyReplicas', st?.readyReplicas),
      ...validateNonNegative('status.currentReplicas', st?.currentReplicas),
      ...validateNonNegative('status.updatedReplicas', st?.updatedReplicas),
      ...validateNonNegative('status.availableReplicas', st?.availableReplicas),
      ...validateNonNegative('status.observedGeneration', st?.observedGeneration),
    ];
  },
} satisfies Strategy<StatefulSetObject>;
