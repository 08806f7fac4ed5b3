// The shape shared by configMap, secret, downwardAPI and projected volumes: an emptyDir
// (memory-backed where upstream's is) holding files written by the atomic writer, rewritten
// in place on remount, and mounted read-only. Each of those plugins supplies only its payload.
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { writeAtomically, type Payload } from './atomic-writer.js';
import { setUpEmptyDir } from './empty-dir-plugin.js';
import type { VolumeHost, VolumePlugin } from './volume-plugin.js';

export interface ApiDataSource {
  name: string;
  canSupport(volume: Volume): boolean;
  /** Secrets (and projections, which may carry them) never touch the disk upstream. */
  isMemoryBacked: boolean;
  /** The files; throws upstream's message when an object or key is missing and not optional. */
  payload(pod: Pod, volume: Volume, host: VolumeHost): Promise<Payload>;
}

export function apiDataPlugin(source: ApiDataSource): VolumePlugin {
  return {
    name: source.name,
    canSupport: (volume) => source.canSupport(volume),
    isReadOnly: true,
    async setUp(pod, volume, dir, host) {
      await setUpEmptyDir(dir, host, source.isMemoryBacked);
      await writeAtomically(dir, await source.payload(pod, volume, host));
      return dir;
    },
    async remount(pod, volume, dir, host) {
      return writeAtomically(dir, await source.payload(pod, volume, host));
    },
  };
}

export function namespaceOf(pod: Pod): string {
  return pod.metadata?.namespace ?? 'default';
}
