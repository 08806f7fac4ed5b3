// The files of a secret volume (pkg/volume/secret MakePayload): every key of data (base64 on
// the wire), or only the listed items at their paths.
import type { KeyToPath, Secret } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';
import { DEFAULT_MODE } from './config-map-payload.js';

export function secretPayload(items: readonly KeyToPath[] | undefined, secret: Secret, defaultMode: number | undefined, optional: boolean): Payload {
  const mode = defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const data = secret.data ?? {};
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: Buffer.from(v, 'base64'), mode });
    return payload;
  }
  for (const item of items) {
    if (!Object.hasOwn(data, item.key)) {
      if (optional) continue;
      throw new Error(`secret references non-existent secret key: ${item.key}`);
    }
    payload.set(item.path, { data: Buffer.from(data[item.key] ?? '', 'base64'), mode: item.mode ?? mode });
  }
  return payload;
}
