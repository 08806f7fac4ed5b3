// HorizontalPodAutoscalers, autoscaling/v2 and v1 (SetDefaults_HorizontalPodAutoscaler*).
import type { HorizontalPodAutoscaler as HpaV1 } from 'kubernetes-types/autoscaling/v1.js';
import type { HorizontalPodAutoscaler as HpaV2, HPAScalingRules } from 'kubernetes-types/autoscaling/v2.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateObjectMeta } from '../object-meta-validation.js';
import { keepSpec } from '../spec-status-rules.js';

type HpaObject = (HpaV2 | HpaV1) & KubeObject;

function defaultRules(r: HPAScalingRules, policies: HPAScalingRules['policies'], window: number): void {
  r.stabilizationWindowSeconds ??= window;
  r.selectPolicy ||= 'Max';
  if (!r.policies?.length && policies) r.policies = policies;
}

function defaultsV2(hpa: HpaV2): void {
  const spec = hpa.spec;
  if (!spec) return;
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  // Only a behavior the user started gets its gaps filled.
  if (spec.behavior) {
    spec.behavior.scaleUp ??= {};
    defaultRules(spec.behavior.scaleUp, [
      { type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 },
    ], 0);
    spec.behavior.scaleDown ??= {};
    defaultRules(spec.behavior.scaleDown, [{ type: 'Percent', value: 100, periodSeconds: 15 }], 300);
  }
}

function validate(hpa: HpaObject): FieldError[] {
  const errs = validateObjectMeta(hpa.metadata);
  const spec = hpa.spec;
  if (!spec) return errs;
  const min = spec.minReplicas;
  if (min !== undefined && min < 1) errs.push(field.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (spec.maxReplicas < 1) errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  if (min !== undefined && spec.maxReplicas < min) errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  const ref = spec.scaleTargetRef;
  if (!ref.kind) errs.push(field.required('spec.scaleTargetRef.kind'));
  if (!ref.name) errs.push(field.required('spec.scaleTargetRef.name'));
  return errs;
}

export function horizontalPodAutoscalerStrategy(version: string): Strategy<HpaObject> {
  return {
    defaults(hpa) {
      if (version === 'v2') defaultsV2(hpa as HpaV2);
      else if (hpa.spec) hpa.spec.minReplicas ??= 1;
    },
    prepareForCreate(hpa) { (hpa as KubeObject)['status'] = {}; },
    validate,
    prepareForUpdate(hpa, old) {
      const o = old as KubeObject;
      if (o['status'] === undefined) delete (hpa as KubeObject)['status'];
      else (hpa as KubeObject)['status'] = structuredClone(o['status']);
    },
    validateUpdate: validate,
    prepareForStatusUpdate(hpa, old) { keepSpec(hpa, old); },
  };
}
