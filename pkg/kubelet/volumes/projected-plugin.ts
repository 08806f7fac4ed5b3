// projected (pkg/volume/projected): configMaps, secrets, downward API fields and a service
// account token in one directory, on a tmpfs where we can mount one.
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { apiDataPlugin, namespaceOf } from './api-data-plugin.js';
import { projectedPayload } from './projected-payload.js';

export const projectedPlugin = apiDataPlugin({
  name: 'kubernetes.io/projected',
  canSupport: (volume) => volume.projected !== undefined,
  isMemoryBacked: true,
  async payload(pod, volume, host) {
    const ns = namespaceOf(pod);
    const source = volume.projected ?? {};
    const configMaps = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    for (const s of source.sources ?? []) {
      if (s.configMap) configMaps.set(s.configMap.name ?? '', await host.getConfigMap(ns, s.configMap.name ?? ''));
      if (s.secret) secrets.set(s.secret.name ?? '', await host.getSecret(ns, s.secret.name ?? ''));
    }
    return projectedPayload(source, pod, {
      configMaps, secrets, allocatable: host.nodeAllocatable,
      serviceAccountToken: (audience, expirationSeconds) => host.serviceAccountToken(pod, audience, expirationSeconds),
    });
  },
});
