// Schema checks for request bodies against api-schemas/definitions.json (upstream's OpenAPI
// definitions): ajv for types and required fields, a schema walk for unknown fields (what
// fieldValidation=Strict reports and what typed decoding silently drops). The ajv schemas also
// close every object to unknown fields, so one ajv pass clears a body that has neither.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { field, type FieldError } from '../api/errors.js';

export interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema;
  required?: string[];
  [extension: `x-kubernetes-${string}`]: unknown;
}

export interface GroupVersionKind { group: string; version: string; kind: string }

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const REF_PREFIX = '#/definitions/';
const SCHEMA_ID = 'k8s';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

export class SchemaRegistry {
  readonly definitions: Record<string, JsonSchema>;
  private readonly byKind = new Map<string, string>();
  private readonly validators = new Map<string, ValidateFunction>();
  private ajv: Ajv | undefined;

  constructor(definitions: Record<string, JsonSchema>) {
    this.definitions = definitions;
    for (const [name, def] of Object.entries(definitions)) {
      for (const gvk of (def['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? []) {
        this.byKind.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
      }
    }
  }

  /** Reads the committed definitions.json, from the sources or from dist/. */
  static load(): SchemaRegistry {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
      const file = join(dir, 'api-schemas', 'definitions.json');
      if (existsSync(file)) return new SchemaRegistry(JSON.parse(readFileSync(file, 'utf8')) as Record<string, JsonSchema>);
      const up = dirname(dir);
      if (up === dir) throw new Error('api-schemas/definitions.json not found above ' + fileURLToPath(import.meta.url));
      dir = up;
    }
  }

  definitionName(group: string, version: string, kind: string): string | undefined {
    return this.byKind.get(gvkKey(group, version, kind));
  }

  /** Type, format and required-field errors; [] for a valid object or a kind without a schema. */
  validate(group: string, version: string, kind: string, obj: unknown): FieldError[] {
    const name = this.definitionName(group, version, kind);
    if (!name) return [];
    const check = this.validatorFor(name);
    if (check(obj)) return [];
    const out: FieldError[] = [];
    const seen = new Set<string>();
    for (const err of check.errors ?? []) {
      // Unknown fields are unknownFields' to report (as warnings, or errors under Strict).
      if (err.keyword === 'additionalProperties') continue;
      // Go's decoder takes null for any field (see normalizeNulls); only conforms refuses it.
      if (err.keyword === 'type' && valueAt(obj, pointerSegments(err.instancePath)) === null) continue;
      const fe = this.toFieldError(name, obj, err);
      const key = `${fe.type} ${fe.field}`;
      if (!seen.has(key)) { seen.add(key); out.push(fe); }
    }
    return out;
  }

  /**
   * One ajv pass that says whether the object has neither unknown fields, nor nulls, nor
   * schema errors, which is what almost every request body is: then neither the walks of
   * normalizeNulls and unknownFields nor validate has anything to do. False sends the caller
   * to those for the details.
   */
  conforms(group: string, version: string, kind: string, obj: unknown): boolean {
    const name = this.definitionName(group, version, kind);
    return !name || this.validatorFor(name)(obj);
  }

  /** Paths (`spec.foo`, `spec.containers[0].bar`) of fields the kind's schema does not define. */
  unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
    const name = this.definitionName(group, version, kind);
    const out: string[] = [];
    if (name && isObject(obj)) this.walkUnknown(obj, this.topSchema(name), undefined, (path) => out.push(path));
    return out;
  }

  /**
   * Nulls in place as Go's decoder reads them, so that later steps see well-typed objects: a
   * field set to null is left out, a null list item or map value becomes its type's zero
   * value. Unknown fields and free-form objects (RawExtension, FieldsV1) are left as they are.
   */
  normalizeNulls(group: string, version: string, kind: string, obj: unknown): void {
    const name = this.definitionName(group, version, kind);
    if (name && isObject(obj)) this.walkNulls(obj, this.topSchema(name));
  }

  private walkNulls(value: object, schema: JsonSchema): void {
    const s = this.resolve(schema);
    if (Array.isArray(value)) {
      if (!s.items) return;
      for (let i = 0; i < value.length; i++) {
        if (value[i] === null) value[i] = this.zeroValue(s.items);
        if (isObject(value[i])) this.walkNulls(value[i] as object, s.items);
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const prop = s.properties ? (Object.hasOwn(s.properties, key) ? s.properties[key] : undefined) : s.additionalProperties;
      if (!prop) continue;
      if (obj[key] === null) {
        if (s.properties) delete obj[key];
        else obj[key] = this.zeroValue(prop);
      } else if (isObject(obj[key])) {
        this.walkNulls(obj[key], prop);
      }
    }
  }

  private zeroValue(schema: JsonSchema): unknown {
    switch (this.resolve(schema).type) {
      case 'object': return {};
      case 'array': return [];
      case 'integer': case 'number': return 0;
      case 'boolean': return false;
      default: return '';
    }
  }

  /** Drops unknown fields in place, as decoding into the Go type does. */
  prune(group: string, version: string, kind: string, obj: unknown): void {
    const name = this.definitionName(group, version, kind);
    if (name && isObject(obj)) this.walkUnknown(obj, this.topSchema(name), undefined, (_path, parent, key) => { delete parent[key]; });
  }

  private topSchema(name: string): JsonSchema {
    return this.definitions[name] ?? {};
  }

  /** Schema objects to what their $ref chain ends at: every request's field walk resolves the same few. */
  private readonly resolved = new WeakMap<JsonSchema, JsonSchema>();

  private resolve(schema: JsonSchema): JsonSchema {
    let out = this.resolved.get(schema);
    if (out) return out;
    out = schema;
    while (out.$ref) {
      const target: JsonSchema | undefined = this.definitions[out.$ref.slice(REF_PREFIX.length)];
      if (!target) { out = {}; break; }
      out = target;
    }
    this.resolved.set(schema, out);
    return out;
  }

  /**
   * Every request walks this, and almost never finds anything: the path of a field is built
   * only when it is unknown, from the chain of steps that led to it.
   */
  private walkUnknown(value: object, schema: JsonSchema, at: PathStep | undefined,
    onUnknown: (path: string, parent: Record<string, unknown>, key: string) => void): void {
    const s = this.resolve(schema);
    if (Array.isArray(value)) {
      if (s.items) {
        for (let i = 0; i < value.length; i++) if (isObject(value[i])) this.walkUnknown(value[i] as object, s.items, { up: at, index: i }, onUnknown);
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    if (s.properties) {
      for (const key of Object.keys(obj)) {
        // Own properties only: a field named `constructor` is not in every schema.
        const prop = Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
        if (!prop) onUnknown(pathOf({ up: at, key }), obj, key);
        else if (isObject(obj[key])) this.walkUnknown(obj[key], prop, { up: at, key }, onUnknown);
      }
    } else if (s.additionalProperties) {
      for (const key of Object.keys(obj)) if (isObject(obj[key])) this.walkUnknown(obj[key], s.additionalProperties, { up: at, mapKey: key }, onUnknown);
    }
    // type: object with neither (RawExtension, FieldsV1) holds anything.
  }

  private validatorFor(name: string): ValidateFunction {
    let fn = this.validators.get(name);
    if (!fn) {
      fn = this.compiler().compile({ $ref: `${SCHEMA_ID}${REF_PREFIX}${name}` });
      this.validators.set(name, fn);
    }
    return fn;
  }

  private compiler(): Ajv {
    if (this.ajv) return this.ajv;
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, addUsedSchema: false });
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -2147483648 && n <= 2147483647 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat('double', { type: 'number', validate: () => true });
    ajv.addFormat('float', { type: 'number', validate: () => true });
    ajv.addFormat('date-time', RFC3339);
    ajv.addFormat('byte', BASE64);
    ajv.addFormat('int-or-string', () => true);
    const defs: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(this.definitions)) defs[name] = ajvSchema(def);
    // kubectl sends `cpu: 1` as a number; Go's Quantity and IntOrString decode both forms.
    defs[QUANTITY] = { type: ['string', 'number'] };
    defs[INT_OR_STRING] = { type: ['integer', 'string'] };
    ajv.addSchema({ $id: SCHEMA_ID, definitions: defs });
    this.ajv = ajv;
    return ajv;
  }

  private toFieldError(name: string, obj: unknown, err: ErrorObject): FieldError {
    const segments = pointerSegments(err.instancePath);
    if (err.keyword === 'required') {
      segments.push(String((err.params as { missingProperty: string }).missingProperty));
      return field.required(this.fieldPath(name, segments));
    }
    const path = this.fieldPath(name, segments);
    const value = valueAt(obj, segments);
    switch (err.keyword) {
      case 'type': {
        const want = ([] as string[]).concat((err.params as { type: string | string[] }).type).filter((t) => t !== 'null');
        const got = goType(value);
        return { field: path, type: 'FieldValueTypeInvalid', message: `"${got}": ${path} in body must be of type ${want.join(',')}: "${got}"` };
      }
      case 'enum':
        return field.notSupported(path, value, ((err.params as { allowedValues: unknown[] }).allowedValues).map(String));
      case 'format':
        return field.invalid(path, value, `${path} in body must be of type ${(err.params as { format: string }).format}: ${JSON.stringify(value)}`);
      default:
        return field.invalid(path, value, `${path} in body ${err.message ?? 'is invalid'}`);
    }
  }

  /**
   * The error Go's JSON decoder gives for the first field whose JSON type its Go type cannot
   * take (Kubernetes answers it as 400 BadRequest, before anything else runs), e.g. `json:
   * cannot unmarshal number into Go struct field Container.spec.containers.image of type
   * string`; undefined when every field has a type it takes (nulls included).
   */
  decodeError(group: string, version: string, kind: string, obj: unknown): string | undefined {
    const name = this.definitionName(group, version, kind);
    if (!name) return undefined;
    const check = this.validatorFor(name);
    if (check(obj)) return undefined;
    for (const err of check.errors ?? []) {
      const segments = pointerSegments(err.instancePath);
      const value = valueAt(obj, segments);
      if (err.keyword !== 'type' || value === null) continue;
      let schema: JsonSchema = { $ref: REF_PREFIX + name };
      let struct = shortName(name);
      const path: string[] = [];
      for (const seg of segments) {
        const s = this.resolve(schema);
        if (s.items) { schema = s.items; continue; }
        const prop = s.properties?.[seg];
        if (!prop) { schema = s.additionalProperties ?? {}; continue; }
        struct = this.structName(schema) ?? struct;
        path.push(seg);
        schema = prop;
      }
      return `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${[struct, ...path].join('.')} of type ${this.goTypeOf(schema)}`;
    }
    return undefined;
  }

  /** The Go struct a schema is (the last name of its $ref chain). */
  private structName(schema: JsonSchema): string | undefined {
    let name: string | undefined;
    for (let s: JsonSchema | undefined = schema; s?.$ref; s = this.definitions[s.$ref.slice(REF_PREFIX.length)]) name = s.$ref.slice(REF_PREFIX.length);
    return name && shortName(name);
  }

  private goTypeOf(schema: JsonSchema): string {
    const struct = this.structName(schema);
    const s = this.resolve(schema);
    if (s.properties && struct) return `v1.${struct}`;
    switch (s.type) {
      case 'string': return 'string';
      case 'boolean': return 'bool';
      case 'number': return 'float64';
      case 'integer': return s.format === 'int32' ? 'int32' : 'int64';
      case 'array': return `[]${s.items ? this.goTypeOf(s.items) : 'interface {}'}`;
      case 'object': return s.additionalProperties ? `map[string]${this.goTypeOf(s.additionalProperties)}` : 'map[string]interface {}';
      default: return struct ? `v1.${struct}` : 'interface {}';
    }
  }

  /** Kubernetes field path: properties dotted, list items `[i]`, map entries `[key]`. */
  private fieldPath(name: string, segments: string[]): string {
    let schema: JsonSchema | undefined = { $ref: REF_PREFIX + name };
    let out = '';
    for (const seg of segments) {
      const s: JsonSchema | undefined = schema && this.resolve(schema);
      if (s?.items) { out += `[${seg}]`; schema = s.items; continue; }
      if (s?.properties?.[seg] || !s?.additionalProperties) { out += out ? `.${seg}` : seg; schema = s?.properties?.[seg]; continue; }
      out += `[${seg}]`;
      schema = s.additionalProperties;
    }
    return out;
  }
}

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/**
 * The ajv copy of a definition, prose dropped. Null fails its type (validate forgives that).
 * Each object with fields is closed to other fields (no definition has both fields and
 * additionalProperties), as walkUnknown judges them, so that one pass tells conforms'
 * answer; maps and objects with neither (RawExtension, FieldsV1) stay open.
 */
function ajvSchema(s: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.$ref) { out['$ref'] = s.$ref; return out; }
  if (s.type) out['type'] = s.type;
  if (s.format) out['format'] = s.format;
  if (s.items) out['items'] = ajvSchema(s.items);
  if (s.additionalProperties) out['additionalProperties'] = ajvSchema(s.additionalProperties);
  if (s.properties) {
    out['properties'] = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, ajvSchema(v)]));
    out['additionalProperties'] = false;
  }
  if (s.required) out['required'] = s.required;
  return out;
}

/** `io.k8s.api.core.v1.Container` → `Container`. */
function shortName(definition: string): string {
  return definition.slice(definition.lastIndexOf('.') + 1);
}

/** A JSON value's kind in Go's decoding errors. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** The segments of a JSON pointer (ajv's instancePath). */
function pointerSegments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(obj: unknown, segments: string[]): unknown {
  let v = obj;
  for (const seg of segments) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** JSON type names as Kubernetes' schema errors print them. */
function goType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isObject(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

/** One step of a path into an object: a field, an array index or a map key. */
interface PathStep { up: PathStep | undefined; key?: string; index?: number; mapKey?: string }

/** `spec.containers[0].bar`, `metadata.labels[app]`: the form the field errors use. */
function pathOf(step: PathStep): string {
  const parts: string[] = [];
  for (let s: PathStep | undefined = step; s; s = s.up) {
    if (s.key !== undefined) parts.push(s.up ? `.${s.key}` : s.key);
    else parts.push(s.index !== undefined ? `[${s.index}]` : `[${s.mapKey}]`);
  }
  return parts.reverse().join('');
}
