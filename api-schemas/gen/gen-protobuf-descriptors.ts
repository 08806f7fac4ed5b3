// Derives the protobuf descriptors the API server needs to decode kubectl's
// `application/vnd.kubernetes.protobuf` request bodies from the k8s.io `generated.proto` files:
//
//   node dist/api-schemas/gen/gen-protobuf-descriptors.js [protoRoot]
//
// protoRoot is the one argument (the folder of Kubernetes' .proto files); api-schemas/proto-extra
// is read as well (groups the shared root lacks: flowcontrol). The output is committed
// so that the runtime never needs the .proto files:
//   api-schemas/protobuf/k8s-descriptor.json        protobufjs Root#toJSON(), comments dropped
//   api-schemas/protobuf/k8s-required-fields.json   "<full.message.Name>.<field>" for each field
//                                                   whose Go comment lacks `+optional`
// The second file exists because the proto files carry no Go JSON tags: a field without
// `+optional` is, in upstream types.go, almost always a JSON field without `omitempty`, which
// Go's encoding/json writes even when it is zero.
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { EXTRA_PROTO_DIR, loadProtoRoots, protoRootArgument } from './proto-roots.js';

function repoRoot(): string {
  // dist/api-schemas/gen/<this>.js or api-schemas/gen/<this>.ts: walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (statSync(join(dir, 'package.json')).isFile()) return dir;
    } catch { /* keep walking */ }
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json) not found');
    dir = up;
  }
}

function requiredFields(ns: protobuf.NamespaceBase, out: string[]): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const f of nested.fieldsArray) {
        if (!/\+optional\b/.test(f.comment ?? '')) out.push(`${nested.fullName.slice(1)}.${f.name}`);
      }
    }
    if (nested instanceof protobuf.Namespace) requiredFields(nested, out);
  }
}

export function generateProtobufDescriptors(protoRoots: string[], outDir: string): { messages: number; files: number } {
  const { root, files } = loadProtoRoots(protoRoots);
  const required: string[] = [];
  requiredFields(root, required);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'k8s-descriptor.json'), `${JSON.stringify(root.toJSON({ keepComments: false }))}\n`);
  writeFileSync(join(outDir, 'k8s-required-fields.json'), `${JSON.stringify(required.sort(), null, 1)}\n`);
  let messages = 0;
  const count = (ns: protobuf.NamespaceBase): void => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) messages++;
      if (n instanceof protobuf.Namespace) count(n);
    }
  };
  count(root);
  return { messages, files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = repoRoot();
  const protoRoot = resolve(protoRootArgument(process.argv, 'gen-protobuf-descriptors'));
  const outDir = join(root, 'api-schemas', 'protobuf');
  const { messages, files } = generateProtobufDescriptors([protoRoot, join(root, EXTRA_PROTO_DIR)], outDir);
  process.stdout.write(`wrote ${messages} messages from ${files} .proto files to ${outDir}\n`);
}
