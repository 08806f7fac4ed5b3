// The atomic writer's on-disk layout and its in-place updates.
import t from 'tap';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePath, writeAtomically, type Payload } from '../../../../pkg/kubelet/volumes/atomic-writer.js';

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

t.test('writes files into a timestamped dir behind ..data, with user-visible symlinks', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const payload: Payload = new Map([['a', file('1')], ['sub/b', file('2', 0o400)]]);
  t.equal(await writeAtomically(dir, payload, new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), true);
  const data = await readlink(join(dir, '..data'));
  t.match(data, /^\.\.2024_01_02_03_04_05\.\d+$/);
  t.equal(await readlink(join(dir, 'a')), '..data/a');
  t.equal(await readlink(join(dir, 'sub')), '..data/sub', 'only the top-level name is a link');
  t.equal(await readFile(join(dir, 'sub/b'), 'utf8'), '2');
  t.equal((await stat(join(dir, 'sub/b'))).mode & 0o777, 0o400);
  t.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o644);
  t.same((await readdir(dir)).sort(), ['..data', data, 'a', 'sub'].sort());
});

t.test('an unchanged payload touches nothing; a change swaps ..data and drops stale names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeAtomically(dir, new Map([['a', file('1')], ['old', file('x')]]));
  const first = await readlink(join(dir, '..data'));
  t.equal(await writeAtomically(dir, new Map([['a', file('1')], ['old', file('x')]])), false);
  t.equal(await readlink(join(dir, '..data')), first);
  t.equal(await writeAtomically(dir, new Map([['a', file('1', 0o600)], ['old', file('x')]])), true, 'a mode change is a change');

  t.equal(await writeAtomically(dir, new Map([['a', file('2')], ['new', file('n')]])), true);
  const second = await readlink(join(dir, '..data'));
  t.not(second, first);
  t.equal(await readFile(join(dir, 'a'), 'utf8'), '2');
  t.equal(await readFile(join(dir, 'new'), 'utf8'), 'n');
  await t.rejects(lstat(join(dir, 'old')), { code: 'ENOENT' }, 'stale user-visible link removed');
  t.same((await readdir(dir)).filter((n) => n.startsWith('..2')), [second], 'old timestamped dir removed');
});

t.test('paths are validated before anything is written', async (t) => {
  t.throws(() => validatePath('/abs'), /must be relative path/);
  t.throws(() => validatePath('a/../b'), /must not contain '\.\.'/);
  t.throws(() => validatePath('..a'), /must not start with '\.\.'/);
  const dir = await mkdtemp(join(tmpdir(), 'aw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.rejects(writeAtomically(dir, new Map([['../escape', file('x')]])));
  t.same(await readdir(dir), []);
});
