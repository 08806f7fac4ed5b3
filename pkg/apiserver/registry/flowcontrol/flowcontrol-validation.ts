// What FlowSchemas and PriorityLevelConfigurations share in upstream's
// pkg/apis/flowcontrol/validation: verb and wildcard lists, namespace names, status conditions.
import { field, type FieldError } from '../../../api/errors.js';
import { dns1123LabelErrors } from '../object-meta-validation.js';

export const SUPPORTED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];

export const hasWildcard = (list: readonly string[]): boolean => list.includes('*');

/** ValidateNamespaceName, as the rules apply it to each listed namespace. */
export const namespaceNameErrors = (name: string): string[] => dns1123LabelErrors(name);

/** Verbs of a resource or non-resource rule: at least one, `*` alone, otherwise known verbs. */
export function validateVerbs(verbs: readonly string[] | undefined, path: string): FieldError[] {
  const list = verbs ?? [];
  if (list.length === 0) return [field.required(path, 'verbs must contain at least one value')];
  if (hasWildcard(list)) return list.length > 1 ? [field.invalid(path, list, "if '*' is present, must not specify other verbs")] : [];
  if (!list.every((v) => SUPPORTED_VERBS.includes(v))) return [field.notSupported(path, list, SUPPORTED_VERBS)];
  return [];
}

interface Condition { type?: string }

/** ValidateFlowSchemaStatus / ValidatePriorityLevelConfigurationStatus: condition types unique and set. */
export function validateConditions(conditions: readonly Condition[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, c] of (conditions ?? []).entries()) {
    const type = c.type ?? '';
    if (seen.has(type)) errs.push(field.duplicate(`${path}[${i}].type`, type));
    seen.add(type);
    if (!type) errs.push(field.required(`${path}[${i}].type`, 'must not be empty'));
  }
  return errs;
}
