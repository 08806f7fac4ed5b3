// The .proto inputs of both generators: the shared root (../shared/proto, or the one given on
// the command line) and api-schemas/proto-extra in the repository, for groups the shared root
// lacks. Imports resolve against whichever root holds the imported file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';

export const EXTRA_PROTO_DIR = 'api-schemas/proto-extra';

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return protoFiles(p);
    return name.endsWith('.proto') ? [p] : [];
  });
}

/** Loads and resolves every .proto file under the roots (missing roots are skipped). */
export function loadProtoRoots(roots: string[]): { root: protobuf.Root; files: number } {
  const present = roots.filter((r) => existsSync(r));
  const files = present.flatMap((r) => protoFiles(r).map((f) => relative(r, f))).sort();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    const holder = present.find((r) => existsSync(join(r, target)));
    return join(holder ?? present[0] ?? '.', target);
  };
  root.loadSync(files, { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return { root, files: files.length };
}
