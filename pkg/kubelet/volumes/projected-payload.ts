// The files of a projected volume (pkg/volume/projected collectData): the union of its
// configMap, secret, downwardAPI and serviceAccountToken sources. A missing non-optional
// object is reported with the others (utilerrors aggregate), not at the first one.
import type { ConfigMap, Pod, ProjectedVolumeSource, Secret } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';
import { configMapPayload, DEFAULT_MODE } from './config-map-payload.js';
import { downwardApiPayload, type NodeAllocatable } from './downward-api-payload.js';
import { secretPayload } from './secret-payload.js';

export interface ProjectedSources {
  /** undefined when the object does not exist. */
  configMaps: Map<string, ConfigMap | undefined>;
  secrets: Map<string, Secret | undefined>;
  allocatable: NodeAllocatable;
  /** The token written for serviceAccountToken sources. */
  serviceAccountToken(audience: string | undefined, expirationSeconds: number): string;
}

export function projectedPayload(source: ProjectedVolumeSource, pod: Pod, sources: ProjectedSources): Payload {
  const mode = source.defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const errors: string[] = [];
  const add = (p: Payload) => { for (const [k, v] of p) payload.set(k, v); };
  for (const s of source.sources ?? []) {
    try {
      if (s.configMap) {
        const optional = s.configMap.optional ?? false;
        const name = s.configMap.name ?? '';
        const cm = sources.configMaps.get(name);
        if (!cm && !optional) throw new Error(`configmap ${JSON.stringify(name)} not found`);
        add(configMapPayload(s.configMap.items, cm ?? {}, mode, optional));
      } else if (s.secret) {
        const optional = s.secret.optional ?? false;
        const name = s.secret.name ?? '';
        const secret = sources.secrets.get(name);
        if (!secret && !optional) throw new Error(`secret ${JSON.stringify(name)} not found`);
        add(secretPayload(s.secret.items, secret ?? {}, mode, optional));
      } else if (s.downwardAPI) {
        add(downwardApiPayload(s.downwardAPI.items, pod, mode, sources.allocatable));
      } else if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        const token = sources.serviceAccountToken(t.audience, t.expirationSeconds ?? 3600);
        payload.set(t.path, { data: Buffer.from(token), mode });
      }
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`[${errors.join(', ')}]`);
  return payload;
}
