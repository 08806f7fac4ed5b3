// FlowSchemas (pkg/registry/flowcontrol/flowschema/strategy.go; validation.ValidateFlowSchema,
// SetDefaults_FlowSchemaSpec). The status subresource is the store's generic one: a status
// update keeps the stored spec and metadata, as upstream's status strategy does.
import { isDeepStrictEqual } from 'node:util';
import type { FlowSchema, NonResourcePolicyRule, PolicyRulesWithSubjects, ResourcePolicyRule, Subject } from 'kubernetes-types/flowcontrol/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { MANDATORY_FLOW_SCHEMAS } from '../../flowcontrol/bootstrap-configuration.js';
import { pathSegmentErrors } from '../../names.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { clearStatusAndStartGeneration, keepStatusAndBumpGeneration } from '../spec-status-rules.js';
import { hasWildcard, namespaceNameErrors, validateConditions, validateVerbs } from './flowcontrol-validation.js';

export type FlowSchemaObject = FlowSchema & KubeObject;

export const FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE = 10000;
export const FLOW_SCHEMA_DEFAULT_MATCHING_PRECEDENCE = 1000;
const DISTINGUISHER_METHODS = ['ByNamespace', 'ByUser'];
const SUBJECT_KINDS = ['Group', 'ServiceAccount', 'User'];
const NAMESPACE_ERROR_INTRO = "each member of this list must be '*' or a DNS-1123 label; ";

/** ValidateNonResourceURLPath: the first problem of one URL, if any. */
export function nonResourceURLError(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path === '/') return undefined;
  if (!path.startsWith('/')) return 'must start with slash';
  if (path.length > 1 && path.endsWith('/')) return 'must not end with slash';
  const segments = path.split('/').slice(1);
  for (const [i, seg] of segments.entries()) {
    if (seg === '') return 'must not contain empty segment';
    if (seg === '*' && i !== segments.length - 1) return 'wildcard can only do suffix matching';
  }
  return undefined;
}

function validateSubject(s: Subject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const forbid = (key: 'user' | 'group' | 'serviceAccount', kind: string) => {
    if (s[key] !== undefined && s[key] !== null) errs.push(field.forbidden(`${path}.${key}`, `${key} is forbidden when subject kind is not '${kind}'`));
  };
  switch (s.kind) {
    case 'ServiceAccount': {
      const sa = s.serviceAccount;
      if (!sa) errs.push(field.required(`${path}.serviceAccount`, "serviceAccount is required when subject kind is 'ServiceAccount'"));
      else {
        if (!sa.name) errs.push(field.required(`${path}.serviceAccount.name`));
        else if (sa.name !== '*') for (const m of dns1123SubdomainErrors(sa.name)) errs.push(field.invalid(`${path}.serviceAccount.name`, sa.name, m));
        if (!sa.namespace) errs.push(field.required(`${path}.serviceAccount.namespace`, 'must specify namespace for service account'));
        else for (const m of namespaceNameErrors(sa.namespace)) errs.push(field.invalid(`${path}.serviceAccount.namespace`, sa.namespace, m));
      }
      forbid('user', 'User');
      forbid('group', 'Group');
      break;
    }
    case 'User':
      if (!s.user) errs.push(field.required(`${path}.user`, "user is required when subject kind is 'User'"));
      else if (!s.user.name) errs.push(field.required(`${path}.user.name`));
      forbid('group', 'Group');
      forbid('serviceAccount', 'ServiceAccount');
      break;
    case 'Group':
      if (!s.group) errs.push(field.required(`${path}.group`, "group is required when subject kind is 'Group'"));
      else if (!s.group.name) errs.push(field.required(`${path}.group.name`));
      forbid('user', 'User');
      forbid('serviceAccount', 'ServiceAccount');
      break;
    default:
      errs.push(field.notSupported(`${path}.kind`, s.kind ?? '', SUBJECT_KINDS));
  }
  return errs;
}

function validateResourceRule(r: ResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(r.verbs, `${path}.verbs`);
  const groups = r.apiGroups ?? [];
  if (groups.length === 0) errs.push(field.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  else if (groups.length > 1 && hasWildcard(groups)) errs.push(field.invalid(`${path}.apiGroups`, groups, "if '*' is present, must not specify other api groups"));
  const resources = r.resources ?? [];
  if (resources.length === 0) errs.push(field.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  else if (resources.length > 1 && hasWildcard(resources)) errs.push(field.invalid(`${path}.resources`, resources, "if '*' is present, must not specify other resources"));
  const namespaces = r.namespaces ?? [];
  if (namespaces.length === 0 && !r.clusterScope) {
    errs.push(field.required(`${path}.namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  } else if (hasWildcard(namespaces)) {
    if (namespaces.length > 1) errs.push(field.invalid(`${path}.namespaces`, namespaces, "if '*' is present, must not specify other namespaces"));
  } else {
    for (const [i, ns] of namespaces.entries()) {
      for (const m of namespaceNameErrors(ns)) errs.push(field.invalid(`${path}.namespaces[${i}]`, ns, NAMESPACE_ERROR_INTRO + m));
    }
  }
  return errs;
}

function validateNonResourceRule(r: NonResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(r.verbs, `${path}.verbs`);
  const urls = r.nonResourceURLs ?? [];
  if (urls.length === 0) errs.push(field.required(`${path}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else if (hasWildcard(urls)) {
    if (urls.length > 1) errs.push(field.invalid(`${path}.nonResourceURLs`, urls, "if '*' is present, must not specify other non-resource URLs"));
  } else {
    for (const [i, url] of urls.entries()) {
      const m = nonResourceURLError(url);
      if (m) errs.push(field.invalid(`${path}.nonResourceURLs[${i}]`, url, m));
    }
  }
  return errs;
}

function validateRule(rule: PolicyRulesWithSubjects, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const subjects = rule.subjects ?? [];
  if (subjects.length === 0) errs.push(field.required(`${path}.subjects`, 'subjects must contain at least one value'));
  for (const [i, s] of subjects.entries()) errs.push(...validateSubject(s, `${path}.subjects[${i}]`));
  const resourceRules = rule.resourceRules ?? [];
  const nonResourceRules = rule.nonResourceRules ?? [];
  if (resourceRules.length === 0 && nonResourceRules.length === 0) {
    errs.push(field.required(path, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
  }
  for (const [i, r] of resourceRules.entries()) errs.push(...validateResourceRule(r, `${path}.resourceRules[${i}]`));
  for (const [i, r] of nonResourceRules.entries()) errs.push(...validateNonResourceRule(r, `${path}.nonResourceRules[${i}]`));
  return errs;
}

/** ValidateFlowSchemaSpec. */
function validateSpec(name: string, spec: FlowSchemaObject['spec']): FieldError[] {
  const errs: FieldError[] = [];
  const precedence = spec?.matchingPrecedence ?? 0;
  if (precedence <= 0) errs.push(field.invalid('spec.matchingPrecedence', precedence, 'must be a positive value'));
  if (precedence > FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE) {
    errs.push(field.invalid('spec.matchingPrecedence', precedence, `must not be greater than ${FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE}`));
  }
  if (precedence === 1 && name !== 'exempt') errs.push(field.invalid('spec.matchingPrecedence', precedence, "only the schema named 'exempt' may have matchingPrecedence 1"));
  const method = spec?.distinguisherMethod;
  if (method && !DISTINGUISHER_METHODS.includes(method.type)) errs.push(field.notSupported('spec.distinguisherMethod.type', method, DISTINGUISHER_METHODS));
  const plName = spec?.priorityLevelConfiguration?.name ?? '';
  if (plName) for (const m of pathSegmentErrors(plName)) errs.push(field.invalid('spec.priorityLevelConfiguration.name', plName, m));
  else errs.push(field.required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  for (const [i, rule] of (spec?.rules ?? []).entries()) errs.push(...validateRule(rule, `spec.rules[${i}]`));
  return errs;
}

/** ValidateFlowSchema: metadata, spec, the fixed spec of the mandatory schemas, and status. */
export function validateFlowSchema(fs: FlowSchemaObject): FieldError[] {
  const name = fs.metadata?.name ?? '';
  const errs = [...validateObjectMeta(fs.metadata), ...validateSpec(name, fs.spec)];
  const mandatory = MANDATORY_FLOW_SCHEMAS.find((m) => m.metadata.name === name);
  if (mandatory && !isDeepStrictEqual(normalizedSpec(fs.spec), normalizedSpec(mandatory.spec))) {
    errs.push(field.invalid('spec', fs.spec ?? {}, `spec of '${name}' must equal the fixed value`));
  }
  errs.push(...validateConditions(fs.status?.conditions, 'status.conditions'));
  return errs;
}

/** Go's semantic equality: an absent list equals an empty one, an absent bool equals false. */
function normalizedSpec(spec: unknown): unknown {
  return JSON.parse(JSON.stringify(spec ?? {}), (_k, v: unknown) => (Array.isArray(v) && v.length === 0) || v === false ? undefined : v);
}

export const flowSchemaStrategy = {
  /** SetDefaults_FlowSchemaSpec. */
  defaults(fs) {
    // spec is a Go struct: always there, so its precedence is always defaulted.
    fs.spec ??= {} as NonNullable<FlowSchemaObject['spec']>;
    if (!fs.spec.matchingPrecedence) fs.spec.matchingPrecedence = FLOW_SCHEMA_DEFAULT_MATCHING_PRECEDENCE;
  },
  prepareForCreate: clearStatusAndStartGeneration,
  validate: validateFlowSchema,
  prepareForUpdate(fs, old) { keepStatusAndBumpGeneration(fs, old); },
  validateUpdate: (fs) => validateFlowSchema(fs),
  validateStatusUpdate: (fs) => validateConditions(fs.status?.conditions, 'status.conditions'),
} satisfies Strategy<FlowSchemaObject>;
