// Deployments (pkg/registry/apps/deployment/strategy.go, apps/v1 defaults and validation).
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { goIntOrString, invalidRaw } from '../go-syntax.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusAndStartGeneration, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import {
  intOrPercentValue, validateIntOrPercent, validateNonNegative, validateSelectorUnchanged, validateWorkloadSpec,
} from './workload-validation.js';

type DeploymentObject = Deployment & KubeObject;

const STRATEGY_TYPES = ['Recreate', 'RollingUpdate'];

function validateStrategy(d: DeploymentObject): FieldError[] {
  const s = d.spec?.strategy;
  const errs: FieldError[] = [];
  if (!s?.type) return [field.required('spec.strategy.type')];
  if (!STRATEGY_TYPES.includes(s.type)) return [field.notSupported('spec.strategy.type', s.type, STRATEGY_TYPES)];
  if (s.type === 'Recreate') {
    if (s.rollingUpdate) errs.push(field.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    return errs;
  }
  if (!s.rollingUpdate) return [field.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil')];
  const { maxUnavailable, maxSurge } = s.rollingUpdate;
  errs.push(...validateIntOrPercent(maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
  errs.push(...validateIntOrPercent(maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
  if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
    errs.push(invalidRaw('spec.strategy.rollingUpdate.maxUnavailable', goIntOrString(maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  if (typeof maxUnavailable === 'string' && intOrPercentValue(maxUnavailable) > 100) {
    errs.push(invalidRaw('spec.strategy.rollingUpdate.maxUnavailable', goIntOrString(maxUnavailable), 'must not be greater than 100%'));
  }
  return errs;
}

function validate(d: DeploymentObject): FieldError[] {
  const errs = [
    ...validateObjectMeta(d.metadata),
    ...validateWorkloadSpec(d.spec, 'deployment', 'ReplicaSet'),
    ...validateStrategy(d),
    ...validateNonNegative('spec.revisionHistoryLimit', d.spec?.revisionHistoryLimit),
  ];
  const pds = d.spec?.progressDeadlineSeconds;
  if (pds !== undefined) {
    errs.push(...validateNonNegative('spec.progressDeadlineSeconds', pds));
    if (pds <= (d.spec?.minReadySeconds ?? 0)) {
      errs.push(field.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export const deploymentStrategy = {
  defaults(d) {
    if (!d.spec) return;
    const spec = d.spec;
    spec.replicas ??= 1;
    spec.strategy ??= {};
    spec.strategy.type ||= 'RollingUpdate';
    if (spec.strategy.type === 'RollingUpdate') {
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      spec.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    setPodTemplateDefaults(spec.template);
  },
  prepareForCreate: clearStatusAndStartGeneration,
  validate,
  // Annotation changes bump generation too (kept from the days of the rollback annotation).
  prepareForUpdate(d, old) { keepStatusAndBumpGeneration(d, old, (o) => o.metadata?.annotations ?? {}); },
  validateUpdate(d, old) {
    return [...validate(d), ...validateSelectorUnchanged(d.spec?.selector, old.spec?.selector)];
  },
  prepareForStatusUpdate(d, old) {
    keepSpec(d, old, { keepLabels: true });
    keepGeneration(d, old);
  },
  validateStatusUpdate(d) {
    const s = d.status;
    return [
      ...validateNonNegative('status.replicas', s?.replicas),
      ...validateNonNegative('status.updatedReplicas', s?.updatedReplicas),
      ...validateNonNegative('status.readyReplicas', s?.readyReplicas),
      ...validateNonNegative('status.availableReplicas', s?.availableReplicas),
      ...validateNonNegative('status.unavailableReplicas', s?.unavailableReplicas),
      ...validateNonNegative('status.observedGeneration', s?.observedGeneration),
      ...validateNonNegative('status.collisionCount', s?.collisionCount),
    ];
  },
} satisfies Strategy<DeploymentObject>;
