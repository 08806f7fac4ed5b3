// Writes a volume's files so a container never sees a half-updated set
// (pkg/volume/util/atomic_writer.go). The files live in a timestamped hidden directory;
// `..data` is a symlink to it, and every user-visible top-level name is a symlink through
// `..data`. An update writes a new timestamped directory, then swaps `..data` with one
// rename(2), which is atomic, and finally removes the old directory:
//
//   <target>/key          -> ..data/key
//   <target>/..data       -> ..2024_01_02_03_04_05.123456789
//   <target>/..2024_01_02_03_04_05.123456789/key
import { randomInt } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative file path → contents. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

/**
 * Makes targetDir hold exactly the payload. Returns false when the files already matched
 * (nothing was touched), true after a swap. Throws on an invalid path before writing anything.
 */
export async function writeAtomically(targetDir: string, payload: Payload, now: Date = new Date()): Promise<boolean> {
  for (const path of payload.keys()) validatePath(path);
  await mkdir(targetDir, { recursive: true });
  const dataLink = join(targetDir, DATA_DIR);
  const oldTsName = await readlink(dataLink).catch(() => undefined);
  const oldTsDir = oldTsName === undefined ? undefined : join(targetDir, oldTsName);
  const newTopLevel = new Set([...payload.keys()].map((p) => p.split('/')[0] ?? p));
  const oldTopLevel = oldTsDir === undefined ? new Set<string>() : new Set(await userVisibleNames(targetDir));
  const toRemove = [...oldTopLevel].filter((n) => !newTopLevel.has(n));

  if (oldTsDir !== undefined && toRemove.length === 0 && await matches(oldTsDir, payload)) {
    // Still repair missing user-visible links (someone removed one).
    await createUserVisible(targetDir, newTopLevel);
    return false;
  }

  const tsDir = join(targetDir, timestampedName(now));
  await mkdir(tsDir, { mode: 0o755 });
  for (const [path, file] of payload) {
    const full = join(tsDir, path);
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data);
    await chmod(full, file.mode);
  }
  const tmpLink = join(targetDir, DATA_DIR_TMP);
  await rm(tmpLink, { force: true });
  await symlink(posix.basename(tsDir), tmpLink);
  await rename(tmpLink, dataLink);

  await createUserVisible(targetDir, newTopLevel);
  for (const name of toRemove) await rm(join(targetDir, name), { force: true, recursive: true });
  if (oldTsDir !== undefined) await rm(oldTsDir, { recursive: true, force: true });
  return true;
}

/** validatePath: relative, no `..` element, not starting with `..`, not empty. */
export function validatePath(path: string): void {
  if (path === '') throw new Error('invalid path: must not be empty');
  if (path.length > 4096) throw new Error(`invalid path: must be less than or equal to 4096 characters`);
  if (path.startsWith('/')) throw new Error(`invalid path: must be relative path: ${path}`);
  const parts = path.split('/');
  if (parts.includes('..')) throw new Error(`invalid path: must not contain '..': ${path}`);
  if (path.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${path}`);
}

/** `..` + Go's "2006_01_02_15_04_05." + a random suffix, as os.MkdirTemp makes it. */
function timestampedName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${randomInt(1_000_000_000, 4_294_967_295)}`;
}

async function userVisibleNames(targetDir: string): Promise<string[]> {
  const names = await readdir(targetDir).catch(() => [] as string[]);
  return names.filter((n) => !n.startsWith('..'));
}

async function createUserVisible(targetDir: string, names: Set<string>): Promise<void> {
  for (const name of names) {
    const link = join(targetDir, name);
    const target = posix.join(DATA_DIR, name);
    const current = await readlink(link).catch(() => undefined);
    if (current === target) continue;
    await lstat(link).then(() => rm(link, { recursive: true, force: true }), () => undefined);
    await symlink(target, link);
  }
}

/** Whether dir holds exactly the payload's files, with the same contents and modes. */
async function matches(dir: string, payload: Payload): Promise<boolean> {
  const existing = await listFiles(dir).catch(() => undefined);
  if (!existing || existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = join(dir, rel);
    const [st, data] = await Promise.all([stat(full), readFile(full)]);
    if ((st.mode & 0o7777) !== want.mode || !data.equals(want.data)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...await listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}

