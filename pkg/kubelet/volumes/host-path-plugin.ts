// hostPath (pkg/volume/hostpath): the host's own path, after its type check; nothing under
// the pod's directory, so the pod's teardown leaves the data alone.
import { checkHostPathType } from './host-path-type.js';
import type { VolumePlugin } from './volume-plugin.js';

export const hostPathPlugin = {
  name: 'kubernetes.io/host-path',
  canSupport: (volume) => volume.hostPath !== undefined,
  async setUp(_pod, volume, _dir, _host) {
    const path = volume.hostPath?.path ?? '';
    await checkHostPathType(path, volume.hostPath?.type);
    return path;
  },
} satisfies VolumePlugin;
