// The checks apps/v1 workloads share (pkg/apis/apps/validation): a non-empty selector that
// matches the template's labels, an Always restart policy, non-negative counts, an
// immutable selector, and int-or-percent fields.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from '../../../api/errors.js';
import { labelKeyErrors, labelSelectorAsSelector, labelValueErrors } from '../../../api/labels.js';
import { goIntOrString, goLabelSelector, goStringMap, invalidRaw } from '../go-syntax.js';
import { validatePodTemplateSpec } from '../core/pod-validation.js';

export interface WorkloadSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  replicas?: number;
  minReadySeconds?: number;
}

export function validateNonNegative(path: string, v: number | undefined): FieldError[] {
  return v !== undefined && v < 0 ? [field.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

function validateLabelSelector(sel: LabelSelector, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    for (const m of labelKeyErrors(k)) errs.push(field.invalid(`${path}.matchLabels`, k, m));
    for (const m of labelValueErrors(v)) errs.push(field.invalid(`${path}.matchLabels`, v, m));
  }
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
    if (!ops.includes(e.operator)) errs.push(field.invalid(`${p}.operator`, e.operator, 'not a valid selector operator'));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length) {
      errs.push(field.required(`${p}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length) {
      errs.push(field.forbidden(`${p}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
    for (const m of labelKeyErrors(e.key)) errs.push(field.invalid(`${p}.key`, e.key, m));
  });
  return errs;
}

/**
 * Selector, template and counts of a Deployment, ReplicaSet, StatefulSet or DaemonSet.
 * `kindWord` is the word upstream puts in its messages ("deployment", "statefulset", ...);
 * `templateKind` the kind named in the activeDeadlineSeconds message.
 */
export function validateWorkloadSpec(spec: WorkloadSpec | undefined, kindWord: string, templateKind: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec?.selector;
  if (!sel) errs.push(field.required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
      errs.push(invalidRaw('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
    }
  }
  errs.push(...validateNonNegative('spec.replicas', spec?.replicas));
  errs.push(...validateNonNegative('spec.minReadySeconds', spec?.minReadySeconds));
  const template = spec?.template;
  if (!template) return [...errs, field.required('spec.template')];
  if (sel && errs.every((e) => !e.field.startsWith('spec.selector'))) {
    let matches = false;
    try { matches = labelSelectorAsSelector(sel).matches(template.metadata?.labels ?? {}); } catch { /* reported above */ }
    if (!matches) {
      errs.push(invalidRaw('spec.template.metadata.labels', goStringMap(template.metadata?.labels ?? {}), '`selector` does not match template `labels`'));
    }
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const rp = template.spec?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(field.notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(field.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${templateKind} is not Supported`));
  }
  return errs;
}

/** apps/v1 selectors are immutable (ValidateImmutableField). */
export function validateSelectorUnchanged(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  return isDeepStrictEqual(sel, old) ? [] : [invalidRaw('spec.selector', goLabelSelector(sel), 'field is immutable')];
}

const PERCENT = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
export function validateIntOrPercent(v: number | string | undefined, path: string, max100 = false): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'string') {
    if (!PERCENT.test(v)) {
      return [field.invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    }
    if (max100 && Number.parseInt(v, 10) > 100) return [invalidRaw(path, goIntOrString(v), 'must not be greater than 100%')];
    return [];
  }
  return v < 0 ? [invalidRaw(path, goIntOrString(v), 'must be greater than or equal to 0')] : [];
}

export function intOrPercentValue(v: number | string | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : Number.parseInt(v, 10) || 0;
}
