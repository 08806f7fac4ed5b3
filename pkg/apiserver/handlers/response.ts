// What a response is encoded as: JSON, or a server-side printed Table when kubectl asks for it;
// and what an error is answered with.
import { errors, isStatusError, StatusError } from '../../api/errors.js';
import { ObjectTooLargeError, StorageUnavailableError } from '../../storage/storage.js';

export type Encoding = { table: false } | { table: true; tableVersion: 'v1' | 'v1beta1' };

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function negotiate(accept: string | undefined): Encoding {
  if (!accept) return { table: false };
  let jsonOk = false;
  for (const raw of accept.split(',')) {
    const part = raw.trim().toLowerCase();
    const [type] = part.split(';');
    if (part.includes('as=table') && part.includes('g=meta.k8s.io')) {
      return { table: true, tableVersion: part.includes('v=v1beta1') ? 'v1beta1' : 'v1' };
    }
    if (part.includes('as=')) continue;
    if (type === 'application/json' || type === '*/*' || type === 'application/*' || type === 'application/yaml') jsonOk = true;
    if (type === 'application/vnd.kubernetes.protobuf') jsonOk = true; // kubectl also lists JSON; JSON answers are accepted
  }
  if (!jsonOk) throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  return { table: false };
}

/** The Kubernetes Status an error is answered with. */
export function toStatus(err: unknown, maxBytes = 0): StatusError {
  if (isStatusError(err)) return err;
  const code = (err as { code?: string; statusCode?: number }).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errors.requestEntityTooLarge(maxBytes);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return errors.unsupportedMediaType('');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return errors.badRequest((err as Error).message);
  const statusCode = (err as { statusCode?: number }).statusCode;
  if (statusCode && statusCode >= 400 && statusCode < 500) return new StatusError(statusCode, 'BadRequest', (err as Error).message);
  // Upstream answers 500 with etcd's words here (kubernetes#112152); the request is what is wrong.
  if (err instanceof ObjectTooLargeError) return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: the object is ${err.bytes} bytes as stored, over etcd's request limit (${err.message})`);
  if (err instanceof StorageUnavailableError) return errors.serviceUnavailable(`the storage (etcd) is unavailable: ${err.message}`);
  return errors.internal('an unexpected error occurred; see the apiserver log');
}

/** An error response's headers: Kubernetes sends a Retry-After with every Status that has one. */
export function statusHeaders(status: StatusError): Record<string, string> {
  const retryAfter = status.status.details?.retryAfterSeconds;
  return retryAfter ? { 'content-type': 'application/json', 'retry-after': String(retryAfter) } : { 'content-type': 'application/json' };
}
