// configMap: which volumes it takes, its files written into a temp dir, remount, errors.
import t from 'tap';
import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configMapPlugin } from '../../../../pkg/kubelet/volumes/config-map-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: configMap volumes only; mounted read-only', async (t) => {
  t.equal(configMapPlugin.name, 'kubernetes.io/configmap');
  t.same(canSupportTable(configMapPlugin), onlyFor('configMap'));
  t.equal(configMapPlugin.isReadOnly, true);
});

t.test('setUp writes the keys of the pod namespace\'s configMap; remount follows changes', async (t) => {
  const host = fakeVolumeHost(new Map([['configmaps/prod/cfg', { data: { 'app.conf': 'x=1' } }]]));
  const dir = join(await tempDir(t), 'cfg');
  const volume = { name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o440 } };
  t.equal(await configMapPlugin.setUp(testPod, volume, dir, host), dir);
  t.equal(await readFile(join(dir, 'app.conf'), 'utf8'), 'x=1');
  t.equal((await stat(join(dir, 'app.conf'))).mode & 0o777, 0o440);
  t.equal((await stat(dir)).mode & 0o777, 0o777);
  t.same(host.memoryBackedDirs, [], 'on the node disk, as upstream');
  const data = await readlink(join(dir, '..data'));
  t.equal(await configMapPlugin.remount!(testPod, volume, dir, host), false, 'unchanged');
  t.equal(await readlink(join(dir, '..data')), data);
  host.objects.set('configmaps/prod/cfg', { data: { 'app.conf': 'x=2' } });
  t.equal(await configMapPlugin.remount!(testPod, volume, dir, host), true);
  t.equal(await readFile(join(dir, 'app.conf'), 'utf8'), 'x=2');
});

t.test('a missing configMap: upstream\'s message, or an empty volume when optional', async (t) => {
  const host = fakeVolumeHost();
  const dir = join(await tempDir(t), 'cfg');
  await t.rejects(configMapPlugin.setUp(testPod, { name: 'cfg', configMap: { name: 'nope' } }, dir, host), { message: 'configmap "nope" not found' });
  t.equal(await configMapPlugin.setUp(testPod, { name: 'cfg', configMap: { name: 'nope', optional: true } }, dir, host), dir);
  t.equal(await readlink(join(dir, '..data')).then(() => true), true);
});
