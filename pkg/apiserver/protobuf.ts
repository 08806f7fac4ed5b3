// Decodes `application/vnd.kubernetes.protobuf` request bodies (kubectl sends them for its typed
// creates) into the JSON object Kubernetes itself would see after its protobuf → Go → JSON round
// trip. The wire format is k8s.io's generated.proto (proto2, gogo-generated Go structs); the
// descriptors are derived by api-schemas/gen/gen-protobuf-descriptors.ts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { errors, StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { jsonTextTooDeep, tooDeeplyNested } from '../api/nesting-depth.js';
import { goInlineFields, goJsonName, goOmitemptyWithoutOptional, goOptionalWithoutOmitempty, goPointerScalars } from './protobuf-go-fields.js';
import { formatGoDuration, formatGoMicroTime, formatGoTime } from './protobuf-go-values.js';

/** "k8s\0": every Kubernetes protobuf message starts with it. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** API group → the proto package prefix that holds its kinds. */
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'k8s.io.api.core',
  apps: 'k8s.io.api.apps',
  batch: 'k8s.io.api.batch',
  policy: 'k8s.io.api.policy',
  autoscaling: 'k8s.io.api.autoscaling',
  'rbac.authorization.k8s.io': 'k8s.io.api.rbac',
  'coordination.k8s.io': 'k8s.io.api.coordination',
  'discovery.k8s.io': 'k8s.io.api.discovery',
  'scheduling.k8s.io': 'k8s.io.api.scheduling',
  'networking.k8s.io': 'k8s.io.api.networking',
  'storage.k8s.io': 'k8s.io.api.storage',
  'events.k8s.io': 'k8s.io.api.events',
  'authentication.k8s.io': 'k8s.io.api.authentication',
  'authorization.k8s.io': 'k8s.io.api.authorization',
  'flowcontrol.apiserver.k8s.io': 'k8s.io.api.flowcontrol',
};

/** Option kinds that apimachinery registers into every group version. */
const META_KINDS_IN_EVERY_GROUP = new Set(['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions',
  'GetOptions', 'ListOptions']);

function findApiSchemasFile(name: string): string {
  // Compiled: dist/pkg/apiserver/protobuf.js; the JSON stays at <repo>/api-schemas/protobuf/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'api-schemas', 'protobuf', name);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`api-schemas/protobuf/${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

interface Schema {
  root: protobuf.Root;
  unknown: protobuf.Type;
  /** Fields whose Go JSON tag has no `omitempty`. */
  required: ReadonlySet<string>;
}

let schema: Schema | undefined;

function loadSchema(): Schema {
  if (schema) return schema;
  const descriptor = JSON.parse(readFileSync(findApiSchemasFile('k8s-descriptor.json'), 'utf8')) as protobuf.INamespace;
  const requiredList = JSON.parse(readFileSync(findApiSchemasFile('k8s-required-fields.json'), 'utf8')) as string[];
  const root = protobuf.Root.fromJSON(descriptor);
  root.resolveAll();
  const required = new Set([...requiredList.filter((f) => !goOmitemptyWithoutOptional.has(f)), ...goOptionalWithoutOmitempty]);
  schema = { root, unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'), required };
  return schema;
}

/** The proto message for a typed object, or undefined when Kubernetes would not know the kind. */
export function protobufTypeFor(apiVersion: string, kind: string): protobuf.Type | undefined {
  const { root } = loadSchema();
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!/^[a-z0-9]+$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const candidates: string[] = [];
  if (group === 'meta.k8s.io' && version === 'v1') candidates.push(`${META}.${kind}`);
  const pkg = GROUP_PACKAGES[group];
  if (pkg !== undefined) {
    candidates.push(`${pkg}.${version}.${kind}`);
    if (META_KINDS_IN_EVERY_GROUP.has(kind)) candidates.push(`${META}.${kind}`);
  }
  for (const name of candidates) {
    const found = root.lookup(name);
    if (found instanceof protobuf.Type && isTopLevelKind(found)) return found;
  }
  return undefined;
}

// Only objects with TypeMeta are kinds; PodSpec and friends are not. Kinds carry `metadata`
// (objects, lists) or are meta option messages.
function isTopLevelKind(type: protobuf.Type): boolean {
  if (type.fullName.startsWith(`.${META}.`)) return META_KINDS_IN_EVERY_GROUP.has(type.name);
  return type.fields.metadata !== undefined;
}

function hasMagic(body: Uint8Array): boolean {
  return body.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

/**
 * Decodes one protobuf request body (magic + runtime.Unknown) into the JSON object that
 * Kubernetes would store for it, with apiVersion and kind set.
 * Throws a 400 BadRequest StatusError for anything it cannot decode.
 */
export function decodeProtobufObject(body: Uint8Array): KubeObject {
  if (!hasMagic(body)) {
    throw errors.badRequest(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  const { unknown } = loadSchema();
  let envelope: protobuf.Message;
  try {
    envelope = unknown.decode(body.subarray(PROTOBUF_MAGIC.length));
  } catch (e) {
    throw errors.badRequest(`unable to decode protobuf body: ${(e as Error).message}`);
  }
  const env = envelope as unknown as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array; contentEncoding?: string };
  const apiVersion = env.typeMeta?.apiVersion ?? '';
  const kind = env.typeMeta?.kind ?? '';
  if (!kind) throw errors.badRequest("Object 'Kind' is missing in protobuf body");
  if (env.contentEncoding) throw errors.badRequest(`unsupported protobuf contentEncoding "${env.contentEncoding}"`);
  const type = protobufTypeFor(apiVersion, kind);
  if (!type) {
    throw errors.badRequest(`${kind} in version "${apiVersion.split('/').pop() ?? ''}" cannot be handled: no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/runtime/scheme.go:100"`);
  }
  try {
    const message = type.decode(env.raw ?? new Uint8Array());
    return { kind, apiVersion, ...goJsonOfMessage(type, message) };
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw errors.badRequest(`unable to decode protobuf ${kind}: ${(e as Error).message}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function own(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

function int64(value: unknown): number {
  // protobufjs hands int64 over as a Long (the `long` package is installed) or a number.
  if (typeof value === 'number') return value;
  return Number(String(value));
}

function int64Big(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(value);
  return BigInt(String(value));
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function parseRawJson(bytes: Uint8Array | undefined, what: string): Json {
  // Go's RawExtension / FieldsV1 MarshalJSON write the bytes as they are, `null` when nil.
  if (!bytes || bytes.length === 0) return null;
  if (jsonTextTooDeep(bytes)) throw tooDeeplyNested(`${what} does not hold JSON`);
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Json;
  } catch {
    throw errors.badRequest(`${what} does not hold JSON`);
  }
}

/** apimachinery types whose Go MarshalJSON replaces the struct. `undefined` = Go's zero → omitted. */
function specialValue(type: protobuf.Type, m: Record<string, unknown>): Json | undefined {
  switch (type.fullName) {
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
    case '.k8s.io.apimachinery.pkg.api.resource.QuantityValue':
      return typeof m.string === 'string' && m.string !== '' ? m.string : '0';
    case `.${META}.Time`:
      return own(m, 'seconds') || own(m, 'nanos') ? formatGoTime(int64(m.seconds)) : null;
    case `.${META}.MicroTime`:
      return own(m, 'seconds') || own(m, 'nanos') ? formatGoMicroTime(int64(m.seconds), Number(m.nanos ?? 0)) : null;
    case `.${META}.Duration`:
      return formatGoDuration(int64Big(m.duration ?? 0));
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return int64(m.type ?? 0) === 1 ? String(m.strVal ?? '') : Number(m.intVal ?? 0);
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension':
      return parseRawJson(m.raw as Uint8Array | undefined, 'RawExtension');
    case `.${META}.FieldsV1`:
      return parseRawJson(m.Raw as Uint8Array | undefined, 'FieldsV1');
    case `.${META}.Verbs`:
    case '.k8s.io.api.authentication.v1.ExtraValue':
    case '.k8s.io.api.authorization.v1.ExtraValue': {
      const items = m.items as string[] | undefined;
      return items && items.length > 0 ? items : null;
    }
    default:
      return undefined;
  }
}

function isSpecial(type: protobuf.Type): boolean {
  return SPECIAL_TYPES.has(type.fullName);
}

const SPECIAL_TYPES = new Set([
  '.k8s.io.apimachinery.pkg.api.resource.Quantity', '.k8s.io.apimachinery.pkg.api.resource.QuantityValue',
  `.${META}.Time`, `.${META}.MicroTime`, `.${META}.Duration`, `.${META}.FieldsV1`, `.${META}.Verbs`,
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString', '.k8s.io.apimachinery.pkg.runtime.RawExtension',
  '.k8s.io.api.authentication.v1.ExtraValue', '.k8s.io.api.authorization.v1.ExtraValue',
]);

function messageValue(type: protobuf.Type, m: Record<string, unknown>): Json {
  return isSpecial(type) ? specialValue(type, m) ?? null : goJsonOfMessage(type, m);
}

function scalarValue(field: protobuf.Field, value: unknown): Json {
  switch (field.type) {
    case 'bytes': return base64(value as Uint8Array);
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64': return int64(value);
    case 'string': case 'bool': return value as string | boolean;
    default: return Number(value);
  }
}

function isZero(field: protobuf.Field, v: Json): boolean {
  return v === '' || v === 0 || v === false || (field.type === 'bytes' && v === '');
}

/**
 * A message as Go's encoding/json writes the struct the gogo Unmarshal would fill.
 * One deliberate difference: an empty list, map or unset struct pointer is left out even where
 * Go would write `null` (no `omitempty`, e.g. Role.rules). Decoding either gives Go the same nil,
 * and the .proto files cannot tell those fields apart reliably.
 */
function goJsonOfMessage(type: protobuf.Type, message: object): { [key: string]: Json } {
  const { required } = loadSchema();
  const m = message as Record<string, unknown>;
  const out: { [key: string]: Json } = {};
  const qualified = type.fullName.slice(1);
  for (const field of type.fieldsArray) {
    const name = field.name;
    const jsonName = goJsonName(qualified, name);
    const key = `${qualified}.${name}`;
    const omitempty = !required.has(key);
    const value = m[name];
    const resolved = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;

    if (field.map) {
      const entries = value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
      if (entries.length === 0) continue;
      const obj: { [key: string]: Json } = {};
      for (const [k, v] of entries) {
        obj[k] = resolved ? messageValue(resolved, v as Record<string, unknown>) : scalarValue(field, v);
      }
      out[jsonName] = obj;
      continue;
    }

    if (field.repeated) {
      const items = Array.isArray(value) ? value : [];
      if (items.length === 0) continue;
      out[jsonName] = items.map((item) => (resolved ? messageValue(resolved, item as Record<string, unknown>) : scalarValue(field, item)));
      continue;
    }

    if (resolved) {
      // Value structs are always on the wire and always in Go's JSON; pointer structs only when set.
      if (!own(m, name)) continue;
      if (goInlineFields.has(key)) {
        Object.assign(out, goJsonOfMessage(resolved, value as object));
        continue;
      }
      if (isSpecial(resolved)) {
        const special = specialValue(resolved, value as Record<string, unknown>);
        if (special !== undefined) out[jsonName] = special;
        continue;
      }
      out[jsonName] = goJsonOfMessage(resolved, value as object);
      continue;
    }

    if (goPointerScalars.has(key)) {
      if (own(m, name)) out[jsonName] = scalarValue(field, value);
      continue;
    }
    // A value field: Go holds its zero when absent, and omitempty drops zeros.
    const v = own(m, name) ? scalarValue(field, value) : zeroOf(field);
    if (omitempty && isZero(field, v)) continue;
    out[jsonName] = v;
  }
  return out;
}

function zeroOf(field: protobuf.Field): Json {
  switch (field.type) {
    case 'string': case 'bytes': return '';
    case 'bool': return false;
    default: return 0;
  }
}
