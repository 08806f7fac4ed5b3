// emptyDir: which volumes it takes, a world-writable directory, medium Memory and sizeLimit.
import t from 'tap';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyDirPlugin } from '../../../../pkg/kubelet/volumes/empty-dir-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: emptyDir volumes only', async (t) => {
  t.equal(emptyDirPlugin.name, 'kubernetes.io/empty-dir');
  t.same(canSupportTable(emptyDirPlugin), onlyFor('emptyDir'));
});

t.test('setUp makes a 0777 directory at dir, idempotently', async (t) => {
  const host = fakeVolumeHost();
  const dir = join(await tempDir(t), 'volumes/kubernetes.io~empty-dir/scratch');
  t.equal(await emptyDirPlugin.setUp(testPod, { name: 'scratch', emptyDir: {} }, dir, host), dir);
  t.equal(await emptyDirPlugin.setUp(testPod, { name: 'scratch', emptyDir: {} }, dir, host), dir);
  const st = await stat(dir);
  t.ok(st.isDirectory());
  t.equal(st.mode & 0o777, 0o777);
  t.same(host.memoryBackedDirs, [], 'the default medium is the node disk');
});

t.test('medium Memory asks the host for a tmpfs of sizeLimit bytes', async (t) => {
  const seen: Array<[string, number | undefined]> = [];
  const host = { ...fakeVolumeHost(), memoryBacked: async (dir: string, size: number | undefined) => { seen.push([dir, size]); } };
  const base = await tempDir(t);
  await emptyDirPlugin.setUp(testPod, { name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }, join(base, 'a'), host);
  await emptyDirPlugin.setUp(testPod, { name: 'b', emptyDir: { medium: 'Memory' } }, join(base, 'b'), host);
  await emptyDirPlugin.setUp(testPod, { name: 'c', emptyDir: { sizeLimit: '1Gi' } }, join(base, 'c'), host);
  t.same(seen, [[join(base, 'a'), 16 * 1024 * 1024], [join(base, 'b'), undefined]]);
});
