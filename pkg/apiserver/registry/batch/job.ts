// Jobs (pkg/registry/batch/job/strategy.go, batch/v1 defaults and validation).
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateNonNegative, validateSelectorUnchanged } from '../apps/workload-validation.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { validatePodTemplateSpec } from '../core/pod-validation.js';
import { goStringMap, invalidRaw } from '../go-syntax.js';
import { labelSelectorAsSelector } from '../../../api/labels.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusAndStartGeneration, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';

type JobObject = Job & KubeObject;

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';

/** SetDefaults_Job; also used for CronJob job templates' pod templates. */
export function setJobSpecDefaults(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ||= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ||= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const c of rule.onPodConditions ?? []) c.status ||= 'True';
  }
  setPodTemplateDefaults(spec.template);
}

// Without manualSelector the apiserver owns the selector: it keys on the job's uid, and the
// template carries the matching labels (generateSelector upstream).
function generateSelector(job: JobObject): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector) return;
  // The store fills a missing uid later; filling it here keeps selector and uid in step.
  const uid = job.metadata?.uid ?? randomUUID();
  job.metadata = { ...job.metadata, uid };
  const name = job.metadata.name ?? '';
  spec.template.metadata ??= {};
  spec.template.metadata.labels = {
    ...spec.template.metadata.labels,
    [CONTROLLER_UID]: uid, [JOB_NAME]: name, [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name,
  };
  spec.selector ??= { matchLabels: { [CONTROLLER_UID]: uid } };
}

function validateJobSpec(spec: JobSpec | undefined, path: string, requireSelector: boolean): FieldError[] {
  if (!spec) return [field.required(path)];
  const errs: FieldError[] = [
    ...validateNonNegative(`${path}.parallelism`, spec.parallelism),
    ...validateNonNegative(`${path}.completions`, spec.completions),
    ...validateNonNegative(`${path}.backoffLimit`, spec.backoffLimit),
    ...validateNonNegative(`${path}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished),
  ];
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(field.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  const modes = ['NonIndexed', 'Indexed'];
  if (spec.completionMode && !modes.includes(spec.completionMode)) errs.push(field.notSupported(`${path}.completionMode`, spec.completionMode, modes));
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    errs.push(field.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  if (requireSelector) {
    if (!spec.selector) errs.push(field.required(`${path}.selector`));
    else {
      let matches = false;
      try { matches = labelSelectorAsSelector(spec.selector).matches(spec.template.metadata?.labels ?? {}); } catch { /* invalid selector */ }
      if (!matches) {
        errs.push(invalidRaw(`${path}.template.metadata.labels`, goStringMap(spec.template.metadata?.labels ?? {}), '`selector` does not match template `labels`'));
      }
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const rp = spec.template.spec?.restartPolicy ?? '';
  if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never']));
  }
  return errs;
}

export { validateJobSpec };

function validate(job: JobObject): FieldError[] {
  return [...validateObjectMeta(job.metadata), ...validateJobSpec(job.spec, 'spec', true)];
}

export const jobStrategy = {
  defaults(job) {
    if (!job.spec) return;
    setJobSpecDefaults(job.spec);
    // A job without labels of its own takes its template's.
    const templateLabels = job.spec.template.metadata?.labels;
    if (templateLabels && Object.keys(job.metadata?.labels ?? {}).length === 0) {
      job.metadata = { ...job.metadata, labels: { ...templateLabels } };
    }
  },
  prepareForCreate(job) {
    generateSelector(job);
    clearStatusAndStartGeneration(job);
  },
  validate,
  prepareForUpdate(job, old) { keepStatusAndBumpGeneration(job, old); },
  validateUpdate(job, old) {
    const errs = [...validate(job), ...validateSelectorUnchanged(job.spec?.selector, old.spec?.selector)];
    if (job.spec?.completionMode !== 'Indexed' && job.spec?.completions !== old.spec?.completions) {
      errs.push(field.invalid('spec.completions', job.spec?.completions ?? null, 'field is immutable'));
    }
    if (job.spec?.completionMode !== old.spec?.completionMode) {
      errs.push(field.invalid('spec.completionMode', job.spec?.completionMode ?? '', 'field is immutable'));
    }
    // The template may change only while the job is suspended (for queueing controllers).
    if (!old.spec?.suspend && !isDeepStrictEqual(job.spec?.template, old.spec?.template)) {
      errs.push(invalidRaw('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
    }
    return errs;
  },
  prepareForStatusUpdate(job, old) {
    keepSpec(job, old);
    keepGeneration(job, old);
  },
  validateStatusUpdate(job) {
    const s = job.status;
    return [
      ...validateNonNegative('status.active', s?.active),
      ...validateNonNegative('status.succeeded', s?.succeeded),
      ...validateNonNegative('status.failed', s?.failed),
    ];
  },
} satisfies Strategy<JobObject>;
