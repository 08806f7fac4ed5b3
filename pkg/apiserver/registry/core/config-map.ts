// ConfigMaps (ValidateConfigMap, ValidateConfigMapUpdate): key names, the 1 MiB limit,
// and immutability once `immutable` is set.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateObjectMeta } from '../object-meta-validation.js';

type ConfigMapObject = ConfigMap & KubeObject;

/** Secrets and config maps share the 1 MiB limit (core.MaxSecretSize). */
export const MAX_DATA_SIZE_BYTES = 1024 * 1024;

/** validation.IsConfigMapKey. */
export function configMapKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function validate(cm: ConfigMapObject): FieldError[] {
  const errs = validateObjectMeta(cm.metadata);
  let size = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    for (const m of configMapKeyErrors(k)) errs.push(field.invalid(`data[${k}]`, k, m));
    if (cm.binaryData?.[k] !== undefined) errs.push(field.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const m of configMapKeyErrors(k)) errs.push(field.invalid(`binaryData[${k}]`, k, m));
    size += Buffer.from(v, 'base64').length;
  }
  if (size > MAX_DATA_SIZE_BYTES) errs.push(field.tooLong('[]', MAX_DATA_SIZE_BYTES));
  return errs;
}

export function validateImmutableData(obj: { immutable?: boolean; data?: unknown }, old: { immutable?: boolean; data?: unknown },
  dataFields: string[], get: (o: unknown, k: string) => unknown): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  if (!obj.immutable) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of dataFields) {
    if (!isDeepStrictEqual(get(obj, f) ?? {}, get(old, f) ?? {})) errs.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

const get = (o: unknown, k: string) => (o as Record<string, unknown>)[k];

export const configMapStrategy = {
  validate,
  validateUpdate(cm, old) {
    return [...validate(cm), ...validateImmutableData(cm, old, ['data', 'binaryData'], get)];
  },
} satisfies Strategy<ConfigMapObject>;
