// Generates api-schemas/definitions.json from the Kubernetes 1.32 generated.proto files:
// OpenAPI-v2-style definitions under upstream names (io.k8s.api.core.v1.Pod, ...), with the
// descriptions, patch metadata and list types that the proto comments carry.
//
//   node dist/api-schemas/gen/gen-api-schemas.js <protoRoot>
//
// api-schemas/proto-extra is read as well (groups the shared root lacks: flowcontrol).
//
// The proto files have no JSON tags, so which fields are `required` (upstream: no +optional
// marker and no omitempty) is taken from kubernetes-types, which is generated from upstream's
// OpenAPI; fields it does not know (newer than its version) are optional.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { JsonSchema } from '../../pkg/apiserver/validation.js';
import { goJsonName } from '../../pkg/apiserver/protobuf-go-fields.js';
import { EXTRA_PROTO_DIR, loadProtoRoots, protoRootArgument } from './proto-roots.js';


/** proto package segment under k8s.io.api → API group name. */
const GROUPS: Record<string, string> = {
  core: '', apps: 'apps', batch: 'batch', autoscaling: 'autoscaling', policy: 'policy',
  authentication: 'authentication.k8s.io', authorization: 'authorization.k8s.io',
  coordination: 'coordination.k8s.io', discovery: 'discovery.k8s.io', events: 'events.k8s.io',
  networking: 'networking.k8s.io', rbac: 'rbac.authorization.k8s.io', scheduling: 'scheduling.k8s.io',
  storage: 'storage.k8s.io', flowcontrol: 'flowcontrol.apiserver.k8s.io',
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** apimachinery types that upstream's OpenAPI renders as scalars rather than as their proto shape. */
const SPECIAL: Record<string, JsonSchema> = {
  'k8s.io.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  [`${META}.Duration`]: { type: 'string' },
  [`${META}.FieldsV1`]: { type: 'object' },
  'k8s.io.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
};

/** Go fields embedded with `json:",inline"`: their properties belong to the enclosing object. */
const INLINE = new Set(['LocalObjectReference localObjectReference', 'VolumeSource volumeSource',
  'PersistentVolumeSource persistentVolumeSource', 'EphemeralContainerCommon ephemeralContainerCommon',
  'IngressRuleValue ingressRuleValue', 'ProbeHandler handler', 'TypeMeta typeMeta']);

/** Messages that carry ObjectMeta but are parts of other objects, not kinds. */
const NOT_KINDS = /(TemplateSpec|PersistentVolumeClaimTemplate)$/;

const SCALARS: Record<string, JsonSchema> = {
  string: { type: 'string' }, bool: { type: 'boolean' },
  int32: { type: 'integer', format: 'int32' }, int64: { type: 'integer', format: 'int64' },
  uint32: { type: 'integer', format: 'int32' }, uint64: { type: 'integer', format: 'int64' },
  double: { type: 'number', format: 'double' }, float: { type: 'number', format: 'float' },
  bytes: { type: 'string', format: 'byte' },
};

/** k8s.io.api.core.v1.Pod → io.k8s.api.core.v1.Pod */
export function upstreamName(protoFullName: string): string {
  return protoFullName.replace(/^\./, '').replace(/^k8s\.io\./, 'io.k8s.');
}

/** Upstream's description: comment lines without +markers, paragraphs kept, text after `---` dropped. */
export function describe(comment: string | null | undefined): string {
  if (!comment) return '';
  const paragraphs: string[][] = [[]];
  for (const raw of comment.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('---')) break;
    if (line.startsWith('+') || line.startsWith('TODO')) continue;
    if (line === '') { if (paragraphs.at(-1)!.length) paragraphs.push([]); continue; }
    paragraphs.at(-1)!.push(line);
  }
  return paragraphs.filter((p) => p.length).map((p) => p.join(' ')).join('\n\n');
}

/** `+key=value` markers of a comment; repeated markers (listMapKey) collect into arrays. */
export function markers(comment: string | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of (comment ?? '').split('\n')) {
    const m = /^\s*\+([\w.:()-]+)(?:=(.*))?$/.exec(raw);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push((m[2] ?? '').trim());
    out.set(m[1]!, list);
  }
  return out;
}

/** Required properties per interface, from kubernetes-types' .d.ts files (4-space-indented members). */
function requiredFromTypes(dts: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of dts.split('\n')) {
    const start = /^export interface (\w+)/.exec(line);
    if (start) { current = new Set(); out.set(start[1]!, current); continue; }
    if (line.startsWith('}')) { current = undefined; continue; }
    const member = /^ {4}(?:readonly )?(\w+)(\??):/.exec(line);
    if (current && member && member[2] === '') current.add(member[1]!);
  }
  return out;
}

function typesFileFor(pkg: string, typesDir: string): string | undefined {
  let rel: string | undefined;
  const api = /^k8s\.io\.api\.(\w+)\.(\w+)$/.exec(pkg);
  if (api) rel = `${api[1]}/${api[2]}.d.ts`;
  else if (pkg === META) rel = 'meta/v1.d.ts';
  else if (pkg === 'k8s.io.apimachinery.pkg.runtime') rel = 'runtime.d.ts';
  const file = rel && join(typesDir, rel);
  return file && existsSync(file) ? file : undefined;
}

interface Kind { group: string; version: string; kind: string }

export function generateDefinitions(protoRoots: string[], typesDir: string): Record<string, JsonSchema> {
  const { root } = loadProtoRoots(protoRoots);

  const messages: protobuf.Type[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) messages.push(child);
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(root);
  const byName = new Map(messages.map((m) => [m.fullName.slice(1), m]));

  const requiredCache = new Map<string, Map<string, Set<string>> | undefined>();
  const requiredOf = (pkg: string, name: string): Set<string> | undefined => {
    if (!requiredCache.has(pkg)) {
      const file = typesFileFor(pkg, typesDir);
      requiredCache.set(pkg, file ? requiredFromTypes(readFileSync(file, 'utf8')) : undefined);
    }
    return requiredCache.get(pkg)?.get(name);
  };

  // Go slice types (Verbs, ExtraValue) are proto messages wrapping `repeated items`; JSON sees the array.
  const sliceWrapper = (t: protobuf.Type): protobuf.Field | undefined => {
    const fields = t.fieldsArray;
    return markers(t.comment).has('protobuf.nullable') && fields.length === 1 && fields[0]!.name === 'items' && fields[0]!.repeated
      ? fields[0] : undefined;
  };

  const valueSchema = (f: protobuf.Field, type: string): JsonSchema => {
    const scalar = SCALARS[type];
    if (scalar) return { ...scalar };
    const target = f.resolvedType;
    if (!(target instanceof protobuf.Type)) throw new Error(`unresolved type ${type} of ${f.fullName}`);
    const wrapped = sliceWrapper(target);
    if (wrapped) return { type: 'array', items: valueSchema(wrapped, wrapped.type) };
    return { $ref: `#/definitions/${upstreamName(target.fullName)}` };
  };

  const fieldSchema = (f: protobuf.Field): JsonSchema => {
    let s: JsonSchema;
    if (f instanceof protobuf.MapField) s = { type: 'object', additionalProperties: valueSchema(f, f.type) };
    else if (f.repeated) s = { type: 'array', items: valueSchema(f, f.type) };
    else s = valueSchema(f, f.type);
    const desc = describe(f.comment);
    // Upstream puts the description beside the $ref (v2) — keep the same shape.
    const out: JsonSchema = desc ? { description: desc, ...s } : s;
    const mk = markers(f.comment);
    const one = (k: string): string | undefined => mk.get(k)?.[0];
    if (one('listType')) out['x-kubernetes-list-type'] = one('listType');
    if (mk.get('listMapKey')) out['x-kubernetes-list-map-keys'] = mk.get('listMapKey');
    if (one('mapType')) out['x-kubernetes-map-type'] = one('mapType');
    if (one('patchMergeKey')) out['x-kubernetes-patch-merge-key'] = one('patchMergeKey');
    if (one('patchStrategy')) out['x-kubernetes-patch-strategy'] = one('patchStrategy');
    return out;
  };

  const typeMeta = byName.get(`${META}.TypeMeta`);
  const typeMetaProps = (): Record<string, JsonSchema> => ({
    apiVersion: { description: describe(typeMeta?.fields['apiVersion']?.comment), type: 'string' },
    kind: { description: describe(typeMeta?.fields['kind']?.comment), type: 'string' },
  });

  const servedGroupVersions: Kind[] = [];
  for (const pkg of new Set(messages.map((m) => m.parent!.fullName.slice(1)))) {
    const api = /^k8s\.io\.api\.(\w+)\.(\w+)$/.exec(pkg);
    if (api && GROUPS[api[1]!] !== undefined) servedGroupVersions.push({ group: GROUPS[api[1]!]!, version: api[2]!, kind: '' });
  }

  const kindsOf = (m: protobuf.Type): Kind[] | undefined => {
    const pkg = m.parent!.fullName.slice(1);
    if (pkg === META) {
      if (m.name === 'Status') return [{ group: '', version: 'v1', kind: 'Status' }];
      if (m.name === 'DeleteOptions') return [{ group: '', version: 'v1', kind: 'DeleteOptions' },
        ...servedGroupVersions.filter((gv) => gv.group).map((gv) => ({ ...gv, kind: 'DeleteOptions' }))];
      return undefined;
    }
    const api = /^k8s\.io\.api\.(\w+)\.(\w+)$/.exec(pkg);
    const meta = m.fields['metadata'];
    if (!api || !meta || NOT_KINDS.test(m.name)) return undefined;
    const metaType = meta.resolvedType?.fullName;
    if (metaType !== `.${META}.ObjectMeta` && metaType !== `.${META}.ListMeta`) return undefined;
    const group = GROUPS[api[1]!];
    return group === undefined ? undefined : [{ group, version: api[2]!, kind: m.name }];
  };

  const defs: Record<string, JsonSchema> = {};
  for (const m of messages) {
    const full = m.fullName.slice(1);
    const name = upstreamName(full);
    const desc = describe(m.comment);
    const special = SPECIAL[full];
    if (special) { defs[name] = desc ? { description: desc, ...special } : { ...special }; continue; }
    if (sliceWrapper(m) || full.startsWith('k8s.io.apimachinery.pkg.runtime.schema')) continue;

    const kinds = kindsOf(m);
    const properties: Record<string, JsonSchema> = kinds ? typeMetaProps() : {};
    const fromTypes = requiredOf(m.parent!.fullName.slice(1), m.name);
    const required: string[] = [];
    const addFields = (t: protobuf.Type): void => {
      for (const f of t.fieldsArray) {
        const target = f.resolvedType;
        if (target instanceof protobuf.Type && INLINE.has(`${target.name} ${f.name}`)) { addFields(target); continue; }
        const name = goJsonName(t.fullName.slice(1), f.name);
        properties[name] = fieldSchema(f);
        const isRequired = fromTypes ? fromTypes.has(name) : !markers(f.comment).has('optional');
        if (isRequired && name !== 'apiVersion' && name !== 'kind') required.push(name);
      }
    };
    addFields(m);

    const def: JsonSchema = desc ? { description: desc, type: 'object' } : { type: 'object' };
    def.properties = Object.fromEntries(Object.entries(properties).sort(([a], [b]) => a.localeCompare(b)));
    if (required.length) def.required = required.sort();
    const structType = markers(m.comment).get('structType')?.[0];
    if (structType) def['x-kubernetes-map-type'] = structType;
    if (kinds) def['x-kubernetes-group-version-kind'] = kinds;
    defs[name] = def;
  }
  return Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
}

function main(): void {
  // dist/api-schemas/gen/ → repo root is three levels up; the sources sit two levels up.
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = [resolve(here, '../../..'), resolve(here, '../..')].find((d) => existsSync(join(d, 'package.json')))!;
  const protoRoot = resolve(protoRootArgument(process.argv, 'gen-api-schemas'));
  const defs = generateDefinitions([protoRoot, join(repo, EXTRA_PROTO_DIR)], join(repo, 'node_modules/kubernetes-types'));
  const out = join(repo, 'api-schemas/definitions.json');
  writeFileSync(out, JSON.stringify(defs) + '\n');
  console.log(`wrote ${Object.keys(defs).length} definitions to ${out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
