// The .proto inputs of both generators: Kubernetes' k8s.io/api and apimachinery .proto files,
// whose folder is the generators' one argument, and api-schemas/proto-extra in the
// repository, for groups that folder lacks. Imports resolve against whichever root holds the
// imported file. The generated output is committed: building and running need neither.
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

/**
 * The folder of Kubernetes' .proto files named on the command line (`npm run gen:schemas --
 * DIR`); without one, or when it holds no k8s.io/api, the generator stops with a message.
 */
export function protoRootArgument(argv: string[], generator: string): string {
  const dir = argv[2];
  const usage = `usage: ${generator} <proto-root>: the folder holding k8s.io/api/**/generated.proto and k8s.io/apimachinery (Kubernetes 1.32, as in the kubernetes/api and kubernetes/apimachinery repositories), e.g. npm run gen:schemas -- ~/k8s-proto`;
  if (!dir) { process.stderr.write(`${usage}\n`); process.exit(2); }
  if (!existsSync(join(dir, 'k8s.io', 'api'))) {
    process.stderr.write(`${generator}: ${dir} holds no k8s.io/api folder\n${usage}\n`);
    process.exit(2);
  }
  return dir;
}
