// configMap (pkg/volume/configmap): the configMap's keys as files.
import { apiDataPlugin, namespaceOf } from './api-data-plugin.js';
import { configMapPayload } from './config-map-payload.js';

export const configMapPlugin = apiDataPlugin({
  name: 'kubernetes.io/configmap',
  canSupport: (volume) => volume.configMap !== undefined,
  isMemoryBacked: false,
  async payload(pod, volume, host) {
    const src = volume.configMap ?? {};
    const optional = src.optional ?? false;
    const cm = await host.getConfigMap(namespaceOf(pod), src.name ?? '');
    if (!cm && !optional) throw new Error(`configmap ${JSON.stringify(src.name ?? '')} not found`);
    return configMapPayload(src.items, cm ?? {}, src.defaultMode, optional);
  },
});
