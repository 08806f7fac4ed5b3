// downwardAPI: which volumes it takes; pod fields and resources written into a temp dir.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { downwardApiPlugin } from '../../../../pkg/kubelet/volumes/downward-api-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: downwardAPI volumes only; mounted read-only', async (t) => {
  t.equal(downwardApiPlugin.name, 'kubernetes.io/downward-api');
  t.same(canSupportTable(downwardApiPlugin), onlyFor('downwardAPI'));
  t.equal(downwardApiPlugin.isReadOnly, true);
});

t.test('setUp writes fields, and unset limits read as the host\'s allocatable', async (t) => {
  const host = fakeVolumeHost();
  const dir = join(await tempDir(t), 'info');
  await downwardApiPlugin.setUp(testPod, { name: 'info', downwardAPI: { items: [
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
    { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
    { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'requests.memory', divisor: '1Mi' } },
  ] } }, dir, host);
  t.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"');
  t.equal(await readFile(join(dir, 'ns'), 'utf8'), 'prod');
  t.equal(await readFile(join(dir, 'cpu'), 'utf8'), '4');
  t.equal(await readFile(join(dir, 'mem'), 'utf8'), '32');
  t.same(host.memoryBackedDirs, []);
  await t.rejects(downwardApiPlugin.setUp(testPod, { name: 'info', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.bogus' } }] } }, dir, host),
    { message: 'unsupported fieldPath: spec.bogus' });
});
