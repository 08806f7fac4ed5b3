// downwardAPI (pkg/volume/downwardapi): pod fields and container resources as files.
import { apiDataPlugin } from './api-data-plugin.js';
import { downwardApiPayload } from './downward-api-payload.js';

export const downwardApiPlugin = apiDataPlugin({
  name: 'kubernetes.io/downward-api',
  canSupport: (volume) => volume.downwardAPI !== undefined,
  isMemoryBacked: false,
  payload: async (pod, volume, host) =>
    downwardApiPayload(volume.downwardAPI?.items, pod, volume.downwardAPI?.defaultMode, host.nodeAllocatable),
});
