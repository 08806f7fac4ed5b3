// Memory-backed volumes: emptyDir{medium: Memory}, secrets and projected volumes are tmpfs
// mounts upstream, so their contents never reach the disk. That needs root and mount(8);
// without them the volume is a plain directory and the caller logs that it is.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when this process can mount (root); mount(8) itself may still fail. */
export function canMountTmpfs(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function mountTmpfs(dir: string, sizeBytes: number | undefined): Promise<void> {
  if (await isMountPoint(dir)) return;
  const opts = ['mode=0777', ...(sizeBytes !== undefined && sizeBytes > 0 ? [`size=${sizeBytes}`] : [])];
  await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir]);
}

/** Mount points at or below dir, deepest first (the order to unmount them in). */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = (await mountInfo()).filter((p) => p === dir || p.startsWith(prefix));
  return points.sort((a, b) => b.length - a.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountInfo()).includes(dir);
}

export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]);
}

async function mountInfo(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  // Field 5 is the mount point, with spaces and the like octal-escaped.
  return text.split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
}
