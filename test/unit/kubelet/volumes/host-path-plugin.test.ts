// hostPath: which volumes it takes; setUp returns the host path itself after its type check.
import t from 'tap';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostPathPlugin } from '../../../../pkg/kubelet/volumes/host-path-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: hostPath volumes only', async (t) => {
  t.equal(hostPathPlugin.name, 'kubernetes.io/host-path');
  t.same(canSupportTable(hostPathPlugin), onlyFor('hostPath'));
});

t.test('setUp resolves to the host path, creating it for DirectoryOrCreate, and leaves dir alone', async (t) => {
  const base = await tempDir(t);
  const path = join(base, 'data');
  const dir = join(base, 'pods/uid-1/volumes/kubernetes.io~host-path/h');
  t.equal(await hostPathPlugin.setUp(testPod, { name: 'h', hostPath: { path, type: 'DirectoryOrCreate' } }, dir, fakeVolumeHost()), path);
  t.ok((await stat(path)).isDirectory());
  t.notOk(existsSync(dir));
});

t.test('a failed type check is upstream\'s message', async (t) => {
  const path = join(await tempDir(t), 'missing');
  await t.rejects(hostPathPlugin.setUp(testPod, { name: 'h', hostPath: { path, type: 'Directory' } }, '/unused', fakeVolumeHost()),
    { message: `hostPath type check failed: ${path} is not a directory` });
});
