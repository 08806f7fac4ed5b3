// Every volume type the kubelet supports, one plugin each (upstream ProbeVolumePlugins). A new
// type is one file exporting its VolumePlugin plus one line here.
import { configMapPlugin } from './config-map-plugin.js';
import { downwardApiPlugin } from './downward-api-plugin.js';
import { emptyDirPlugin } from './empty-dir-plugin.js';
import { hostPathPlugin } from './host-path-plugin.js';
import { persistentClaimPlugin } from './persistent-claim-plugin.js';
import { projectedPlugin } from './projected-plugin.js';
import { secretPlugin } from './secret-plugin.js';
import type { Volume } from 'kubernetes-types/core/v1.js';
import type { VolumePlugin } from './volume-plugin.js';

export const VOLUME_PLUGINS: readonly VolumePlugin[] = [
  emptyDirPlugin,
  hostPathPlugin,
  configMapPlugin,
  secretPlugin,
  downwardApiPlugin,
  projectedPlugin,
  persistentClaimPlugin,
];

/** The one plugin that supports the volume (upstream FindPluginBySpec, same errors). */
export function findPluginBySpec(plugins: readonly VolumePlugin[], volume: Volume): VolumePlugin {
  const matches = plugins.filter((p) => p.canSupport(volume));
  const [match] = matches;
  if (!match) throw new Error('no volume plugin matched');
  if (matches.length > 1) throw new Error(`multiple volume plugins matched: ${matches.map((p) => p.name).join(',')}`);
  return match;
}
