// Query parameters as Kubernetes reads them: booleans like Go's ParseBool (the Python client
// sends `True`), integers strictly, selectors parsed once.
import { errors } from '../../api/errors.js';
import { parseBool } from '../../api/meta.js';
import { parseSelector } from '../../api/labels.js';
import { parseFieldSelector } from '../../api/fields.js';
import { validateFieldSelector } from '../field-sets.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ListQuery, FieldValidation } from '../store.js';

export type Query = Record<string, string | string[] | undefined>;

export function str(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

export function bool(q: Query, name: string): boolean {
  const v = str(q, name);
  if (v === undefined || v === '') return false;
  const b = parseBool(v);
  if (b === undefined) throw errors.badRequest(`invalid boolean value for ${name}: ${v}`);
  return b;
}

export function int(q: Query, name: string): number | undefined {
  const v = str(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid integer value for ${name}: ${v}`);
  return Number(v);
}

export function listQuery(q: Query, res: ResourceInfo): ListQuery {
  const labelSelector = str(q, 'labelSelector');
  const fieldSelectorStr = str(q, 'fieldSelector');
  const fieldSelector = fieldSelectorStr ? parseFieldSelector(fieldSelectorStr) : undefined;
  if (fieldSelector) validateFieldSelector(res.group, res.plural, fieldSelector);
  const limit = int(q, 'limit');
  return {
    labelSelector: labelSelector ? parseSelector(labelSelector) : undefined,
    fieldSelector,
    limit: limit && limit > 0 ? limit : undefined,
    continue: str(q, 'continue') || undefined,
    resourceVersion: str(q, 'resourceVersion'),
    resourceVersionMatch: str(q, 'resourceVersionMatch') || undefined,
  };
}

export function dryRun(q: Query): boolean {
  const v = q['dryRun'];
  const values = Array.isArray(v) ? v : v ? [v] : [];
  for (const x of values) if (x !== 'All') throw errors.badRequest(`Invalid dry run value: ${x}. Valid values are: All`);
  return values.length > 0;
}

export function fieldValidation(q: Query): FieldValidation {
  const v = str(q, 'fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation invalid value: ${v}; valid values are Ignore, Warn and Strict`);
}
