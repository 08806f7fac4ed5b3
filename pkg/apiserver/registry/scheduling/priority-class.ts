// PriorityClasses (SetDefaults_PriorityClass, ValidatePriorityClass{,Update}).
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { SYSTEM_PRIORITY_CLASSES } from '../core/pod-admission.js';
import { validateObjectMeta } from '../object-meta-validation.js';

type PriorityClassObject = PriorityClass & KubeObject;

// User-defined classes may not exceed this; only the built-in system classes go above.
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function validate(pc: PriorityClassObject): FieldError[] {
  const errs = validateObjectMeta(pc.metadata);
  const name = pc.metadata?.name ?? '';
  const system = SYSTEM_PRIORITY_CLASSES[name];
  if (system !== undefined) {
    if (pc.value !== system) errs.push(field.forbidden('metadata.name', `${name} is a reserved system priority class name`));
  } else if (name.startsWith('system-')) {
    errs.push(field.forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const pp = pc.preemptionPolicy;
  if (pp && !PREEMPTION_POLICIES.includes(pp)) errs.push(field.notSupported('preemptionPolicy', pp, PREEMPTION_POLICIES));
  return errs;
}

export const priorityClassStrategy = {
  defaults(pc) { pc.preemptionPolicy ||= 'PreemptLowerPriority'; },
  validate,
  validateUpdate(pc, old) {
    const errs = validate(pc);
    if (pc.value !== old.value) errs.push(field.forbidden('value', 'may not be changed in an update.'));
    if ((pc.preemptionPolicy ?? '') !== (old.preemptionPolicy ?? '')) {
      errs.push(field.invalid('preemptionPolicy', pc.preemptionPolicy ?? '', 'field is immutable'));
    }
    return errs;
  },
} satisfies Strategy<PriorityClassObject>;
