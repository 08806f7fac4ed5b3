// hostPath type checks (pkg/volume/hostpath checkType): *OrCreate types create what is
// missing (directories 0755, files 0644 in an existing parent); the others only check, and
// fail with upstream's "hostPath type check failed: ..." message.
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const st = async (): Promise<Stats | undefined> => stat(path).catch(() => undefined);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate': {
      const s = await st();
      if (!s) { await mkdir(path, { recursive: true, mode: 0o755 }); return; }
      if (!s.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    }
    case 'Directory': {
      const s = await st();
      if (!s?.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    }
    case 'FileOrCreate': {
      const s = await st();
      if (!s) {
        const f = await open(path, constants.O_CREAT | constants.O_RDONLY, 0o644);
        await f.close();
        return;
      }
      if (s.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    }
    case 'File': {
      const s = await st();
      if (!s || s.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    }
    case 'Socket': {
      if (!(await st())?.isSocket()) throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    }
    case 'CharDevice': {
      if (!(await st())?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    }
    case 'BlockDevice': {
      if (!(await st())?.isBlockDevice()) throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
    }
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}
