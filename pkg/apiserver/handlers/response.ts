// What a response is encoded as: JSON, or a server-side printed Table when kubectl asks for it.
import { errors } from '../../api/errors.js';

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
