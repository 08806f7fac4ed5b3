// A VolumeHost over in-memory API objects for plugin tests, recording which directories a
// plugin asked to be memory-backed; plus one sample volume of every kind for canSupport tables.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ConfigMap, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../../../pkg/api/errors.js';
import type { RestClient } from '../../../../pkg/client/rest-client.js';
import type { VolumeHost, VolumePlugin } from '../../../../pkg/kubelet/volumes/volume-plugin.js';

/** Objects by `<plural>/<namespace>/<name>` (cluster-scoped: `<plural>//<name>`). */
export type FakeObjects = Map<string, unknown>;

export interface FakeVolumeHost extends VolumeHost {
  objects: FakeObjects;
  memoryBackedDirs: string[];
}

export function fakeVolumeHost(objects: FakeObjects = new Map()): FakeVolumeHost {
  const client = {
    resource: (what: string | { plural: string }) => ({
      get: async (ns: string, name: string) => {
        const plural = typeof what === 'string' ? what : what.plural;
        const obj = objects.get(`${plural}/${ns}/${name}`);
        if (obj === undefined) throw new StatusError(404, 'NotFound', `${plural} "${name}" not found`);
        return structuredClone(obj);
      },
    }),
  } as unknown as RestClient;
  const get = async <T>(plural: string, ns: string, name: string) => objects.get(`${plural}/${ns}/${name}`) as T | undefined;
  const memoryBackedDirs: string[] = [];
  return {
    objects,
    memoryBackedDirs,
    client,
    log: pino({ level: 'silent' }),
    getConfigMap: (ns, name) => get<ConfigMap>('configmaps', ns, name),
    getSecret: (ns, name) => get<Secret>('secrets', ns, name),
    nodeAllocatable: { cpu: '4', memory: '8Gi' },
    serviceAccountToken: (pod, audience, expirationSeconds) => `token:${pod.metadata?.name ?? ''}:${audience ?? ''}:${expirationSeconds}`,
    memoryBacked: async (dir) => { memoryBackedDirs.push(dir); },
  };
}

export async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vol-plugin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const testPod: Pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'uid-1', labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', resources: { requests: { memory: '32Mi' } } }] },
};

/** One volume of every kind the API has a field for that we test, keyed by that field. */
export const SAMPLE_VOLUMES: Record<string, Volume> = {
  emptyDir: { name: 'v', emptyDir: {} },
  hostPath: { name: 'v', hostPath: { path: '/tmp' } },
  configMap: { name: 'v', configMap: { name: 'cm' } },
  secret: { name: 'v', secret: { secretName: 's' } },
  downwardAPI: { name: 'v', downwardAPI: { items: [] } },
  projected: { name: 'v', projected: { sources: [] } },
  persistentVolumeClaim: { name: 'v', persistentVolumeClaim: { claimName: 'claim' } },
  csi: { name: 'v', csi: { driver: 'example.com/driver' } },
  none: { name: 'v' },
};

/** canSupport over every sample: true for exactly the kinds listed. */
export function canSupportTable(plugin: VolumePlugin): Record<string, boolean> {
  return Object.fromEntries(Object.entries(SAMPLE_VOLUMES).map(([kind, v]) => [kind, plugin.canSupport(v)]));
}

export function onlyFor(...kinds: string[]): Record<string, boolean> {
  return Object.fromEntries(Object.keys(SAMPLE_VOLUMES).map((k) => [k, kinds.includes(k)]));
}
