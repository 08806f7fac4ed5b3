// Kubernetes Status errors. Every failure that reaches a client is one of these, so the
// reason/code pairs and message shapes follow apimachinery's api/errors package.
import type { Status, StatusCause, StatusDetails } from 'kubernetes-types/meta/v1.js';

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'MethodNotAllowed' | 'NotAcceptable'
  | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Expired' | 'RequestEntityTooLarge' | 'UnsupportedMediaType'
  | 'Invalid' | 'TooManyRequests' | 'InternalError' | 'Timeout' | 'ServiceUnavailable';

export interface FieldError { field: string; type: FieldErrorType; message: string }
export type FieldErrorType =
  | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate'
  | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTypeInvalid' | 'FieldValueNotFound';

/** A resource as named in messages: `pods`, `deployments.apps`. */
export interface GroupResource { group: string; resource: string }

export class StatusError extends Error {
  readonly status: Status & { code: number };
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.status = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code,
      ...(details ? { details } : {}),
    };
  }
  get code(): number { return this.status.code; }
  get reason(): string { return this.status.reason ?? ''; }
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string, extra?: Partial<StatusDetails>): StatusDetails {
  return { name, group: gr.group, kind: gr.resource, ...extra };
}

export const errors = {
  notFound: (gr: GroupResource, name: string) =>
    new StatusError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name)),
  alreadyExists: (gr: GroupResource, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name)),
  conflict: (gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, details(gr, name)),
  /** 422; `kind` is the object's kind (kubectl prints `The <kind> "<name>" is invalid:`). */
  invalid: (group: string, kind: string, name: string, errs: FieldError[]) => {
    const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: formatFieldError(e), field: e.field }));
    const summary = errs.map((e) => `${e.field}: ${formatFieldError(e)}`);
    const msg = `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`;
    return new StatusError(422, 'Invalid', msg, { name, group, kind, causes });
  },
  badRequest: (message: string) => new StatusError(400, 'BadRequest', message),
  forbidden: (gr: GroupResource, name: string, why: string) =>
    new StatusError(403, 'Forbidden', name
      ? `${qualifiedResource(gr)} "${name}" is forbidden: ${why}`
      : `${qualifiedResource(gr)} is forbidden: ${why}`, details(gr, name)),
  methodNotAllowed: (method: string, what: string) =>
    new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${what})`),
  notAcceptable: (message: string) => new StatusError(406, 'NotAcceptable', message),
  unsupportedMediaType: (contentType: string) =>
    new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`),
  requestEntityTooLarge: (limit: number) =>
    new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  /** A resourceVersion that etcd has compacted away. */
  expired: (message: string) => new StatusError(410, 'Expired', message),
  gone: (message: string) => new StatusError(410, 'Gone', message),
  tooManyRequests: (message: string, retryAfterSeconds?: number) =>
    new StatusError(429, 'TooManyRequests', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }),
  internal: (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`),
  timeout: (message: string) => new StatusError(504, 'Timeout', message),
  serviceUnavailable: (message: string) => new StatusError(503, 'ServiceUnavailable', message),
};

function formatFieldError(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired': return e.message ? `Required value: ${e.message}` : 'Required value';
    case 'FieldValueForbidden': return `Forbidden: ${e.message}`;
    case 'FieldValueDuplicate': return `Duplicate value: ${e.message}`;
    case 'FieldValueNotSupported': return `Unsupported value: ${e.message}`;
    case 'FieldValueNotFound': return `Not found: ${e.message}`;
    case 'FieldValueTooLong': return `Too long: ${e.message}`;
    case 'FieldValueTypeInvalid': return `Invalid value: ${e.message}`;
    default: return `Invalid value: ${e.message}`;
  }
}

/** Helpers that build FieldErrors in Kubernetes' wording. */
export const field = {
  required: (path: string, detail = ''): FieldError => ({ field: path, type: 'FieldValueRequired', message: detail }),
  invalid: (path: string, value: unknown, detail: string): FieldError =>
    ({ field: path, type: 'FieldValueInvalid', message: `${JSON.stringify(value)}: ${detail}` }),
  forbidden: (path: string, detail: string): FieldError => ({ field: path, type: 'FieldValueForbidden', message: detail }),
  duplicate: (path: string, value: unknown): FieldError => ({ field: path, type: 'FieldValueDuplicate', message: JSON.stringify(value) }),
  notSupported: (path: string, value: unknown, valid: string[]): FieldError =>
    ({ field: path, type: 'FieldValueNotSupported', message: `${JSON.stringify(value)}: supported values: ${valid.map((v) => `"${v}"`).join(', ')}` }),
  tooLong: (path: string, max: number): FieldError => ({ field: path, type: 'FieldValueTooLong', message: `must have at most ${max} bytes` }),
};

export function isStatusError(e: unknown): e is StatusError { return e instanceof StatusError; }
export const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;
export const isConflict = (e: unknown): boolean => isStatusError(e) && e.code === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => isStatusError(e) && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => isStatusError(e) && e.code === 410;
