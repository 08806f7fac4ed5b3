// PriorityLevelConfigurations (pkg/registry/flowcontrol/prioritylevelconfiguration/strategy.go;
// validation.ValidatePriorityLevelConfiguration; flowcontrol/v1 defaults).
import { isDeepStrictEqual } from 'node:util';
import type {
  LimitResponse, LimitedPriorityLevelConfiguration, PriorityLevelConfiguration, PriorityLevelConfigurationSpec, QueuingConfiguration,
} from 'kubernetes-types/flowcontrol/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { MANDATORY_PRIORITY_LEVEL_CONFIGURATIONS } from '../../flowcontrol/bootstrap-configuration.js';
import { validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusAndStartGeneration, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import { validateConditions } from './flowcontrol-validation.js';

export type PriorityLevelConfigurationObject = PriorityLevelConfiguration & KubeObject;

const ENABLEMENTS = ['Exempt', 'Limited'];
const LIMIT_RESPONSE_TYPES = ['Queue', 'Reject'];
const MAX_QUEUES = 10 * 1000 * 1000;
/** shufflesharding.MaxHashBits: the hash bits a hand may consume. */
const MAX_HASH_BITS = 60;

/** shufflesharding.RequiredEntropyBits. */
export function requiredEntropyBits(deckSize: number, handSize: number): number {
  return Math.ceil(Math.log2(deckSize) * handSize);
}

/** SetDefaults_LimitedPriorityLevelConfiguration, SetDefaults_QueuingConfiguration (v1). */
function defaultLimited(l: LimitedPriorityLevelConfiguration): void {
  l.nominalConcurrencyShares ??= 30;
  l.lendablePercent ??= 0;
  const q = l.limitResponse?.queuing;
  if (q) {
    if (!q.handSize) q.handSize = 8;
    if (!q.queues) q.queues = 64;
    if (!q.queueLengthLimit) q.queueLengthLimit = 50;
  }
}

function validateQueuing(q: QueuingConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const queues = q.queues ?? 0;
  const handSize = q.handSize ?? 0;
  const queueLengthLimit = q.queueLengthLimit ?? 0;
  if (queueLengthLimit <= 0) errs.push(field.invalid(`${path}.queueLengthLimit`, queueLengthLimit, 'must be positive'));
  if (queues <= 0) errs.push(field.invalid(`${path}.queues`, queues, 'must be positive'));
  else if (queues > MAX_QUEUES) errs.push(field.invalid(`${path}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
  if (handSize <= 0) errs.push(field.invalid(`${path}.handSize`, handSize, 'must be positive'));
  else if (handSize > queues) errs.push(field.invalid(`${path}.handSize`, handSize, `should not be greater than queues (${queues})`));
  else if (requiredEntropyBits(queues, handSize) > MAX_HASH_BITS) {
    errs.push(field.invalid(`${path}.handSize`, handSize,
      `required entropy bits of deckSize ${queues} and handSize ${handSize} should not be greater than ${MAX_HASH_BITS}`));
  }
  return errs;
}

function validateLimitResponse(lr: LimitResponse | undefined, path: string): FieldError[] {
  const type = lr?.type ?? '';
  switch (type) {
    case 'Reject':
      return lr?.queuing ? [field.forbidden(`${path}.queuing`, 'must be nil if limited.limitResponse.type is not Limited')] : [];
    case 'Queue':
      return lr?.queuing ? validateQueuing(lr.queuing, `${path}.queuing`)
        : [field.required(`${path}.queuing`, 'must not be empty if limited.limitResponse.type is Limited')];
    default:
      return [field.notSupported(`${path}.type`, type, LIMIT_RESPONSE_TYPES)];
  }
}

function validateLimited(l: LimitedPriorityLevelConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  // v1 allows zero shares (a "jail" level); only negative values are wrong.
  const shares = l.nominalConcurrencyShares ?? 0;
  if (shares < 0) errs.push(field.invalid(`${path}.nominalConcurrencyShares`, shares, 'must be a non-negative integer'));
  errs.push(...validateLimitResponse(l.limitResponse, `${path}.limitResponse`));
  if (l.lendablePercent !== undefined && !(l.lendablePercent >= 0 && l.lendablePercent <= 100)) {
    errs.push(field.invalid(`${path}.lendablePercent`, l.lendablePercent, 'must be between 0 and 100, inclusive'));
  }
  if (l.borrowingLimitPercent !== undefined && l.borrowingLimitPercent < 0) {
    errs.push(field.invalid(`${path}.borrowingLimitPercent`, l.borrowingLimitPercent, 'if specified, must be a non-negative integer'));
  }
  return errs;
}

/** ValidatePriorityLevelConfigurationSpec. */
function validateSpec(name: string, spec: PriorityLevelConfigurationSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const type = spec?.type ?? '';
  if ((name === 'exempt') !== (type === 'Exempt')) errs.push(field.invalid('spec.type', type, "type must be 'Exempt' if and only if name is 'exempt'"));
  switch (type) {
    case 'Exempt': {
      if (spec?.limited) errs.push(field.forbidden('spec.limited', 'must be nil if the type is not Limited'));
      const e = spec?.exempt;
      if (e?.nominalConcurrencyShares !== undefined && e.nominalConcurrencyShares < 0) {
        errs.push(field.invalid('spec.exempt.nominalConcurrencyShares', e.nominalConcurrencyShares, 'must be a non-negative integer'));
      }
      if (e?.lendablePercent !== undefined && !(e.lendablePercent >= 0 && e.lendablePercent <= 100)) {
        errs.push(field.invalid('spec.exempt.lendablePercent', e.lendablePercent, 'must be between 0 and 100, inclusive'));
      }
      break;
    }
    case 'Limited':
      if (spec?.exempt) errs.push(field.forbidden('spec.exempt', 'must be nil if the type is Limited'));
      if (!spec?.limited) errs.push(field.required('spec.limited', 'must not be empty when type is Limited'));
      else errs.push(...validateLimited(spec.limited, 'spec.limited'));
      break;
    default:
      errs.push(field.notSupported('spec.type', type, ENABLEMENTS));
  }
  return errs;
}

/** ValidateIfMandatoryPriorityLevelConfigurationObject: only spec.exempt of "exempt" may change. */
function validateMandatory(pl: PriorityLevelConfigurationObject): FieldError[] {
  const name = pl.metadata?.name ?? '';
  const mandatory = MANDATORY_PRIORITY_LEVEL_CONFIGURATIONS.find((m) => m.metadata.name === name);
  if (!mandatory) return [];
  if (name === 'exempt') {
    const have = { ...pl.spec, exempt: mandatory.spec.exempt };
    return isDeepStrictEqual(have, mandatory.spec) ? []
      : [field.invalid('spec', pl.spec ?? {}, `spec of '${name}' except the 'spec.exempt' field must equal the fixed value`)];
  }
  return isDeepStrictEqual(pl.spec, mandatory.spec) ? [] : [field.invalid('spec', pl.spec ?? {}, `spec of '${name}' must equal the fixed value`)];
}

/** ValidatePriorityLevelConfiguration. */
export function validatePriorityLevelConfiguration(pl: PriorityLevelConfigurationObject): FieldError[] {
  return [
    ...validateObjectMeta(pl.metadata),
    ...validateSpec(pl.metadata?.name ?? '', pl.spec),
    ...validateMandatory(pl),
    ...validateConditions(pl.status?.conditions, 'status.conditions'),
  ];
}

export const priorityLevelConfigurationStrategy = {
  /** SetDefaults_PriorityLevelConfiguration and the defaults of its parts (v1). */
  defaults(pl) {
    const spec = pl.spec;
    if (!spec) return;
    if (pl.metadata?.name === 'exempt' && spec.type === 'Exempt') spec.exempt ??= {};
    if (spec.exempt) {
      spec.exempt.nominalConcurrencyShares ??= 0;
      spec.exempt.lendablePercent ??= 0;
    }
    if (spec.limited) defaultLimited(spec.limited);
  },
  prepareForCreate: clearStatusAndStartGeneration,
  validate: validatePriorityLevelConfiguration,
  prepareForUpdate(pl, old) { keepStatusAndBumpGeneration(pl, old); },
  validateUpdate: (pl) => validatePriorityLevelConfiguration(pl),
  validateStatusUpdate: (pl) => validateConditions(pl.status?.conditions, 'status.conditions'),
} satisfies Strategy<PriorityLevelConfigurationObject>;
