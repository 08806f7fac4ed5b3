// secret: which volumes it takes, decoded files in a memory-backed temp dir, errors.
import t from 'tap';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { secretPlugin } from '../../../../pkg/kubelet/volumes/secret-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: secret volumes only; mounted read-only', async (t) => {
  t.equal(secretPlugin.name, 'kubernetes.io/secret');
  t.same(canSupportTable(secretPlugin), onlyFor('secret'));
  t.equal(secretPlugin.isReadOnly, true);
});

t.test('setUp writes the decoded keys into a memory-backed dir', async (t) => {
  const host = fakeVolumeHost(new Map([['secrets/prod/creds', { data: { pw: Buffer.from('s3cret').toString('base64') } }]]));
  const dir = join(await tempDir(t), 'creds');
  t.equal(await secretPlugin.setUp(testPod, { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'pw', path: 'a/pw', mode: 0o400 }] } }, dir, host), dir);
  t.equal(await readFile(join(dir, 'a/pw'), 'utf8'), 's3cret');
  t.equal((await stat(join(dir, 'a/pw'))).mode & 0o777, 0o400);
  t.same(host.memoryBackedDirs, [dir]);
});

t.test('a missing secret or key: upstream\'s messages', async (t) => {
  const host = fakeVolumeHost(new Map([['secrets/prod/creds', { data: {} }]]));
  const dir = join(await tempDir(t), 's');
  await t.rejects(secretPlugin.setUp(testPod, { name: 's', secret: { secretName: 'nope' } }, dir, host), { message: 'secret "nope" not found' });
  await t.rejects(secretPlugin.setUp(testPod, { name: 's', secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } }, dir, host),
    { message: 'secret references non-existent secret key: k' });
});
