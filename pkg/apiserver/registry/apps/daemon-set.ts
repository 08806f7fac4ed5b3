// DaemonSets (pkg/registry/apps/daemonset/strategy.go, apps/v1 defaults and validation).
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { goIntOrString, invalidRaw } from '../go-syntax.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusTo, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import {
  intOrPercentValue, validateIntOrPercent, validateNonNegative, validateSelectorUnchanged, validateWorkloadSpec,
} from './workload-validation.js';

type DaemonSetObject = DaemonSet & KubeObject;

const UPDATE_STRATEGY_TYPES = ['OnDelete', 'RollingUpdate'];

function validate(ds: DaemonSetObject): FieldError[] {
  const spec = ds.spec;
  const errs = [
    ...validateObjectMeta(ds.metadata),
    // A DaemonSet has no replicas; the shared check sees undefined there.
    ...validateWorkloadSpec(spec, 'daemonset', 'DaemonSet'),
    ...validateNonNegative('spec.revisionHistoryLimit', spec?.revisionHistoryLimit),
  ];
  const us = spec?.updateStrategy;
  if (!us?.type) return [...errs, field.required('spec.updateStrategy.type')];
  if (!UPDATE_STRATEGY_TYPES.includes(us.type)) return [...errs, field.notSupported('spec.updateStrategy.type', us.type, UPDATE_STRATEGY_TYPES)];
  if (us.type === 'RollingUpdate') {
    const { maxUnavailable, maxSurge } = us.rollingUpdate ?? {};
    const p = 'spec.updateStrategy.rollingUpdate';
    errs.push(...validateIntOrPercent(maxUnavailable, `${p}.maxUnavailable`, true));
    errs.push(...validateIntOrPercent(maxSurge, `${p}.maxSurge`, true));
    const unavailable = intOrPercentValue(maxUnavailable);
    const surge = intOrPercentValue(maxSurge);
    if (unavailable === 0 && surge === 0) {
      errs.push(invalidRaw(`${p}.maxUnavailable`, goIntOrString(maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
    } else if (unavailable !== 0 && surge !== 0) {
      errs.push(invalidRaw(`${p}.maxSurge`, goIntOrString(maxSurge), 'may not be set when maxUnavailable is non-zero'));
    }
  }
  return errs;
}

export const daemonSetStrategy = {
  defaults(ds) {
    if (!ds.spec) return;
    const spec = ds.spec;
    spec.updateStrategy ??= {};
    spec.updateStrategy.type ||= 'RollingUpdate';
    if (spec.updateStrategy.type === 'RollingUpdate') {
      spec.updateStrategy.rollingUpdate ??= {};
      spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
      spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    setPodTemplateDefaults(spec.template);
  },
  prepareForCreate: clearStatusTo({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  validate,
  prepareForUpdate(ds, old) { keepStatusAndBumpGeneration(ds, old); },
  validateUpdate(ds, old) { return [...validate(ds), ...validateSelectorUnchanged(ds.spec?.selector, old.spec?.selector)]; },
  prepareForStatusUpdate(ds, old) {
    keepSpec(ds, old);
    keepGeneration(ds, old);
  },
} satisfies Strategy<DaemonSetObject>;
