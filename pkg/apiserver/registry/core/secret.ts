// Secrets (SetDefaults_Secret, stringData conversion, ValidateSecret, ValidateSecretUpdate).
import type { Secret } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateObjectMeta } from '../object-meta-validation.js';
import { configMapKeyErrors, MAX_DATA_SIZE_BYTES, validateImmutableData } from './config-map.js';

type SecretObject = Secret & KubeObject;

// Keys a typed secret must carry (ValidateSecret's switch on type).
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

function validate(s: SecretObject): FieldError[] {
  const errs = validateObjectMeta(s.metadata);
  let size = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    for (const m of configMapKeyErrors(k)) errs.push(field.invalid(`data[${k}]`, k, m));
    size += Buffer.from(v, 'base64').length;
  }
  if (size > MAX_DATA_SIZE_BYTES) errs.push(field.tooLong('data', MAX_DATA_SIZE_BYTES));
  const type = s.type ?? 'Opaque';
  for (const key of REQUIRED_KEYS[type] ?? []) {
    if (s.data?.[key] === undefined) errs.push(field.required(`data[${key}]`));
  }
  if (type === 'kubernetes.io/service-account-token' && !s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  return errs;
}

const get = (o: unknown, k: string) => (o as Record<string, unknown>)[k];

export const secretStrategy = {
  defaults(s) {
    s.type ||= 'Opaque';
    // v1 stringData is write-only sugar: merged into data, never stored.
    const stringData = (s as { stringData?: Record<string, string> }).stringData;
    if (stringData) {
      s.data = { ...s.data };
      for (const [k, v] of Object.entries(stringData)) s.data[k] = Buffer.from(v, 'utf8').toString('base64');
      delete (s as { stringData?: unknown }).stringData;
    }
  },
  validate,
  validateUpdate(s, old) {
    const errs = [...validate(s), ...validateImmutableData(s, old, ['data'], get)];
    if ((s.type ?? 'Opaque') !== (old.type ?? 'Opaque')) errs.push(field.invalid('type', s.type ?? '', 'field is immutable'));
    return errs;
  },
} satisfies Strategy<SecretObject>;
