// emptyDir (pkg/volume/emptydir): a directory under the pod's, world-writable so non-root
// containers can write; medium Memory makes it a tmpfs of sizeLimit. The API-data plugins
// set their directory up through setUpEmptyDir, as upstream's wrap an emptyDir mounter.
import { chmod, mkdir } from 'node:fs/promises';
import { integerValue } from '../../api/quantity.js';
import type { VolumeHost, VolumePlugin } from './volume-plugin.js';

export const emptyDirPlugin = {
  name: 'kubernetes.io/empty-dir',
  canSupport: (volume) => volume.emptyDir !== undefined,
  async setUp(_pod, volume, dir, host) {
    const limit = volume.emptyDir?.sizeLimit;
    const isMemory = volume.emptyDir?.medium === 'Memory';
    await setUpEmptyDir(dir, host, isMemory, isMemory && limit !== undefined ? integerValue(limit) : undefined);
    return dir;
  },
} satisfies VolumePlugin;

export async function setUpEmptyDir(dir: string, host: VolumeHost, isMemory: boolean, sizeBytes?: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  // 0777 whatever the umask.
  await chmod(dir, 0o777);
  if (isMemory) await host.memoryBacked(dir, sizeBytes);
}
