// projected: which volumes it takes; every source merged into one memory-backed temp dir.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectedPlugin } from '../../../../pkg/kubelet/volumes/projected-plugin.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

t.test('canSupport: projected volumes only; mounted read-only', async (t) => {
  t.equal(projectedPlugin.name, 'kubernetes.io/projected');
  t.same(canSupportTable(projectedPlugin), onlyFor('projected'));
  t.equal(projectedPlugin.isReadOnly, true);
});

t.test('setUp merges configMap, secret, downwardAPI and token sources', async (t) => {
  const host = fakeVolumeHost(new Map<string, unknown>([
    ['configmaps/prod/cm', { data: { greeting: 'hi' } }],
    ['secrets/prod/s', { data: { pw: Buffer.from('pw').toString('base64') } }],
  ]));
  const dir = join(await tempDir(t), 'all');
  await projectedPlugin.setUp(testPod, { name: 'all', projected: { sources: [
    { configMap: { name: 'cm', items: [{ key: 'greeting', path: 'config/greeting' }] } },
    { secret: { name: 's' } },
    { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { serviceAccountToken: { path: 'token', audience: 'api', expirationSeconds: 600 } },
  ] } }, dir, host);
  t.equal(await readFile(join(dir, 'config/greeting'), 'utf8'), 'hi');
  t.equal(await readFile(join(dir, 'pw'), 'utf8'), 'pw');
  t.equal(await readFile(join(dir, 'name'), 'utf8'), 'web');
  t.equal(await readFile(join(dir, 'token'), 'utf8'), 'token:web:api:600');
  t.same(host.memoryBackedDirs, [dir]);
});

t.test('missing objects are reported together, as upstream aggregates them', async (t) => {
  const dir = join(await tempDir(t), 'all');
  await t.rejects(projectedPlugin.setUp(testPod, { name: 'all', projected: { sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }] } }, dir, fakeVolumeHost()),
    { message: '[configmap "a" not found, secret "b" not found]' });
});
