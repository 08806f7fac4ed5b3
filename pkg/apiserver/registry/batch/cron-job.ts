// CronJobs (pkg/registry/batch/cronjob/strategy.go, batch/v1 defaults and validation).
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateNonNegative } from '../apps/workload-validation.js';
import { setPodTemplateDefaults } from '../core/pod-defaults.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusAndStartGeneration, keepGeneration, keepSpec, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import { validateJobSpec } from './job.js';

type CronJobObject = CronJob & KubeObject;

// Job names are <cronjob>-<11 digit timestamp>, and must stay a valid label value.
const MAX_CRONJOB_NAME_LENGTH = 52;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** The parts of robfig/cron's standard parser error a user can act on. */
export function scheduleErrors(schedule: string): string[] {
  const s = schedule.trim().replace(/^(CRON_)?TZ=\S+\s+/, '');
  if (s.startsWith('@')) {
    if (DESCRIPTORS.has(s) || /^@every\s+\S+$/.test(s)) return [];
    return [`unrecognized descriptor: ${s}`];
  }
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return [`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`];
  return fields.every((f) => /^[0-9A-Za-z*?,/-]+$/.test(f)) ? [] : ['invalid schedule'];
}

function validate(cj: CronJobObject): FieldError[] {
  const errs = validateObjectMeta(cj.metadata);
  const name = cj.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME_LENGTH) {
    errs.push(field.invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  }
  const spec = cj.spec;
  if (!spec) return [...errs, field.required('spec')];
  if (!spec.schedule) errs.push(field.required('spec.schedule'));
  else for (const m of scheduleErrors(spec.schedule)) errs.push(field.invalid('spec.schedule', spec.schedule, m));
  const cp = spec.concurrencyPolicy;
  if (!cp) errs.push(field.required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY_POLICIES.includes(cp)) errs.push(field.notSupported('spec.concurrencyPolicy', cp, CONCURRENCY_POLICIES));
  errs.push(...validateNonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  errs.push(...validateNonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...validateNonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  errs.push(...validateJobSpec(spec.jobTemplate.spec, 'spec.jobTemplate.spec', false));
  return errs;
}

export const cronJobStrategy = {
  defaults(cj) {
    if (!cj.spec) return;
    cj.spec.concurrencyPolicy ||= 'Allow';
    cj.spec.suspend ??= false;
    cj.spec.successfulJobsHistoryLimit ??= 3;
    cj.spec.failedJobsHistoryLimit ??= 1;
    setPodTemplateDefaults(cj.spec.jobTemplate.spec?.template);
  },
  prepareForCreate: clearStatusAndStartGeneration,
  validate,
  prepareForUpdate(cj, old) { keepStatusAndBumpGeneration(cj, old); },
  validateUpdate: validate,
  prepareForStatusUpdate(cj, old) {
    keepSpec(cj, old);
    keepGeneration(cj, old);
  },
} satisfies Strategy<CronJobObject>;
