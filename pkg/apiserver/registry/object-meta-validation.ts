// ValidateObjectMeta's per-kind part: the name rule a kind uses, and the label and
// annotation checks, in apimachinery's words. The store checks namespace, uid and the rest.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { field, type FieldError } from '../../api/errors.js';
import { labelKeyErrors, labelValueErrors } from '../../api/labels.js';

/** Returns the problems with a name, empty when valid (path.ValidateNameFunc). */
export type NameValidator = (name: string) => string[];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

// validation.RegexError: "<msg> (e.g. 'a',  or 'b', regex used for validation is '<re>')".
function regexError(msg: string, re: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      '[a-z0-9]([-a-z0-9]*[a-z0-9])?', 'my-name', '123-abc'));
  }
  return errs;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', 'example.com'));
  }
  return errs;
}

export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
      '[a-z]([-a-z0-9]*[a-z0-9])?', 'my-name', 'abc-123'));
  }
  return errs;
}

// Names may not be "." or "..", nor contain "/" or "%" (path.IsValidPathSegmentName).
export function pathSegmentNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
  return [];
}

const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of labelKeyErrors(k)) errs.push(field.invalid(path, k, msg));
    for (const msg of labelValueErrors(v)) errs.push(field.invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of labelKeyErrors(k.toLowerCase())) errs.push(field.invalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

/**
 * The half of ValidateObjectMeta the store leaves to kinds: labels and annotations. The
 * store checks names itself (path segment, then DNS-1123 label or subdomain by resource).
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta?.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta?.annotations, `${path}.annotations`));
  return errs;
}
