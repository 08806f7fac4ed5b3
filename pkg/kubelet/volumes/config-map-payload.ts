// The files of a configMap volume (pkg/volume/configmap MakePayload): every key of data and
// binaryData, or only the listed items at their paths; modes from the item, else defaultMode.
import type { ConfigMap, KeyToPath } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';

/** 0644, the API's default for defaultMode. */
export const DEFAULT_MODE = 0o644;

export function configMapPayload(items: readonly KeyToPath[] | undefined, configMap: ConfigMap, defaultMode: number | undefined, optional: boolean): Payload {
  const mode = defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const data = configMap.data ?? {};
  const binaryData = configMap.binaryData ?? {};
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: Buffer.from(v), mode });
    for (const [k, v] of Object.entries(binaryData)) payload.set(k, { data: Buffer.from(v, 'base64'), mode });
    return payload;
  }
  for (const item of items) {
    let bytes: Buffer;
    if (Object.hasOwn(data, item.key)) bytes = Buffer.from(data[item.key] ?? '');
    else if (Object.hasOwn(binaryData, item.key)) bytes = Buffer.from(binaryData[item.key] ?? '', 'base64');
    else if (optional) continue;
    else throw new Error(`configmap references non-existent config key: ${item.key}`);
    payload.set(item.path, { data: bytes, mode: item.mode ?? mode });
  }
  return payload;
}
