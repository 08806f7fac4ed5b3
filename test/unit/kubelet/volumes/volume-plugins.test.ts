// The plugin registry: one plugin per volume type with upstream's name, found by canSupport
// with upstream's errors; a new type is one file plus one line; the manager names no type.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { VolumeManager } from '../../../../pkg/kubelet/volumes/volume-manager.js';
import { findPluginBySpec, VOLUME_PLUGINS } from '../../../../pkg/kubelet/volumes/volume-plugins.js';
import { fakeVolumeHost, SAMPLE_VOLUMES, tempDir } from './fake-volume-host.js';
import { DRIVER, localDriverPlugin, tornDown } from './fixtures/local-driver-plugin.js';

t.test('each sample volume finds exactly one plugin, by upstream\'s name', async (t) => {
  const want: Record<string, string> = {
    emptyDir: 'kubernetes.io/empty-dir',
    hostPath: 'kubernetes.io/host-path',
    configMap: 'kubernetes.io/configmap',
    secret: 'kubernetes.io/secret',
    downwardAPI: 'kubernetes.io/downward-api',
    projected: 'kubernetes.io/projected',
    persistentVolumeClaim: 'kubernetes.io/persistent-claim',
  };
  for (const [kind, name] of Object.entries(want)) t.equal(findPluginBySpec(VOLUME_PLUGINS, SAMPLE_VOLUMES[kind]!).name, name, kind);
  t.equal(new Set(VOLUME_PLUGINS.map((p) => p.name)).size, VOLUME_PLUGINS.length, 'names are unique');
  t.throws(() => findPluginBySpec(VOLUME_PLUGINS, SAMPLE_VOLUMES['csi']!), { message: 'no volume plugin matched' });
  t.throws(() => findPluginBySpec(VOLUME_PLUGINS, SAMPLE_VOLUMES['none']!), { message: 'no volume plugin matched' });
  t.throws(() => findPluginBySpec(VOLUME_PLUGINS, { name: 'v', emptyDir: {}, hostPath: { path: '/tmp' } }),
    { message: 'multiple volume plugins matched: kubernetes.io/empty-dir,kubernetes.io/host-path' });
});

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-new' },
  spec: {
    volumes: [{ name: 'data', csi: { driver: DRIVER, volumeAttributes: { size: 'small' } } }],
    containers: [{ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  },
};

t.test('a new volume type is one plugin file plus one line in the registry', async (t) => {
  const rootDir = await tempDir(t);
  const host = fakeVolumeHost();
  const opts = { rootDir, client: host.client, log: pino({ level: 'silent' }), memoryMedium: 'never' as const };

  await t.rejects(new VolumeManager(opts).setupPod(pod), { name: 'VolumeConfigError', message: 'no volume plugin matched', volumeName: 'data', isNotReady: false },
    'without the line, the volume is refused as upstream refuses it');

  // The one line: what volume-plugins.ts would gain.
  const vm = new VolumeManager({ ...opts, plugins: [...VOLUME_PLUGINS, localDriverPlugin] });
  await t.rejects(vm.setupPod(pod), {
    name: 'VolumeConfigError', isNotReady: true, volumeName: 'data',
    eventMessage: `MountVolume.SetUp failed for volume "data" : driver name ${DRIVER} not found in the list of registered CSI drivers`,
  }, 'not ready until the driver is registered');

  host.objects.set(`csidrivers//${DRIVER}`, { metadata: { name: DRIVER } });
  const paths = await vm.setupPod(pod);
  const dir = join(rootDir, 'pods/uid-new/volumes/example.com~local-driver/data');
  t.same(Object.fromEntries(paths), { data: dir });
  t.same(JSON.parse(await readFile(join(dir, 'attributes'), 'utf8')), { pod: 'web', size: 'small' });
  t.same(vm.mountsFor(pod, pod.spec!.containers[0]!, paths), [{ hostPath: dir, containerPath: '/data', readOnly: false }]);

  await vm.teardownPod('uid-new');
  t.same(tornDown, [{ podUid: 'uid-new', volumeName: 'data', dir }], 'the plugin\'s tearDown ran for its volume');
  t.notOk(existsSync(join(rootDir, 'pods/uid-new')));
});

t.test('the volume manager names no volume type: it only asks the plugins', async (t) => {
  const source = await readFile(fileURLToPath(new URL('../../../../../pkg/kubelet/volumes/volume-manager.ts', import.meta.url)), 'utf8');
  const code = source.split('\n').filter((l) => !/^\s*(\/\/|\/?\*)/.test(l)).join('\n');
  t.same(code.match(/\b(?:volume|v)\??\.(?!name\b)\w+/g) ?? [], [], 'reads no field of a volume but its name');
  t.same(code.match(/kubernetes\.io[/~]/g) ?? [], [], 'no plugin name');
});
