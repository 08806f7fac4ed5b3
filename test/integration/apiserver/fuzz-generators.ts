// Hostile requests for the fuzz suite and the hostile bench. Each arbitrary yields a small
// recipe (what fast-check prints as a counterexample and shrinks), and `render` turns it into
// the bytes sent: a 100,000-deep body shows as `{ kind: 'nest', depth: 100000 }`, not as itself.
import fc from 'fast-check';
import type { WireRequest } from './fuzz-http.js';

/** Objects the requests aim at, made before a run (so patches and updates reach the decoders). */
export const TARGET_NAME = 'fuzz-target';
export const TARGET_NAMESPACE = 'default';

export const CONTENT_TYPES = [
  'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf',
  'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  'application/apply-patch+yaml', 'text/plain', null,
] as const;

const PROTOBUF_MAGIC = [0x6b, 0x38, 0x73, 0x00];

// ---------------------------------------------------------------------------------------------
// Bodies

export type NestShape =
  | 'jsonArray' | 'jsonArrayOpen' | 'jsonObject' | 'jsonObjectInData'
  | 'yamlFlowMap' | 'yamlFlowSeq' | 'yamlBlockSeq' | 'yamlBlockMap' | 'mixedFlow';

export type BodyRecipe =
  | { kind: 'nest'; shape: NestShape; depth: number }
  | { kind: 'hugeString'; chars: number; fill: 'ascii' | 'multibyte' | 'escapes'; field: 'name' | 'data' | 'key' | 'label' | 'annotation' }
  | { kind: 'badEscape'; escape: string }
  | { kind: 'badUtf8'; bytes: number[] }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'protobuf'; variant: 'random'; bytes: Uint8Array }
  | { kind: 'protobuf'; variant: 'nestedGroups' | 'nestedMessages' | 'hugeLength'; depth: number }
  | { kind: 'yamlAliases'; levels: number; width: number }
  | { kind: 'oversized'; overBytes: number; fill: 'json' | 'zeros' }
  | { kind: 'jsonPatchCopyBomb'; copies: number; op: 'copy' | 'move-copy' }
  | { kind: 'jsonPatchOps'; ops: number; op: 'test' | 'add' | 'remove' }
  | { kind: 'empty' };

export const nestShapes: NestShape[] = ['jsonArray', 'jsonArrayOpen', 'jsonObject', 'jsonObjectInData', 'yamlFlowMap', 'yamlFlowSeq', 'yamlBlockSeq', 'yamlBlockMap', 'mixedFlow'];

/** Depths from harmless to far past any sane bound (the issue's 5,000 and 100,000 among them). */
const depth = fc.oneof(
  fc.constantFrom(1000, 5000, 10_000, 100_000),
  fc.integer({ min: 64, max: 200_000 }),
);

export const nestBody: fc.Arbitrary<BodyRecipe> = fc.record({
  kind: fc.constant('nest' as const), shape: fc.constantFrom(...nestShapes), depth,
});

/**
 * How a stream of bodies is made up. The fuzz suite wants large bodies often; the bench, which
 * sends 100,000 requests in minutes, rarely: YAML takes ~5 µs a byte on the server's one YAML
 * worker, so one 3 MiB body costs as much as thousands of small ones.
 */
export interface BodyMix {
  /** Of every 1,000 bodies, about how many are near or over the request limit (~1 MiB and more). */
  nearLimitPerMille: number;
  /** Of every 1,000 bodies, about how many are of 64 KiB to ~1 MiB (they take the server's large-body budget). */
  mediumPerMille: number;
}

/** The fuzz suite's mix. */
export const THOROUGH_BODY_MIX: BodyMix = { nearLimitPerMille: 150, mediumPerMille: 250 };

const hugeStringFill = fc.constantFrom('ascii' as const, 'multibyte' as const, 'escapes' as const);
const hugeStringField = fc.constantFrom('name' as const, 'data' as const, 'key' as const, 'label' as const, 'annotation' as const);

/**
 * Bodies of at most ~20 KB: every kind but `oversized` (over the limit by definition) and
 * `jsonPatchOps` (10,001 operations are ~400 KB), the deep ones just past the depth bound (500)
 * and far past it. yamlBlockMap grows with depth squared: 200 levels are ~20 KB, under the bound.
 */
export function smallBodyRecipe(): fc.Arbitrary<BodyRecipe> {
  const deep = fc.oneof(fc.constantFrom(501, 1000, 3000), fc.integer({ min: 64, max: 3000 }));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...nestShapes).chain((shape) => fc.record({
      kind: fc.constant('nest' as const), shape: fc.constant(shape),
      depth: shape === 'yamlBlockMap' ? fc.integer({ min: 64, max: 200 }) : deep,
    })) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('hugeString' as const), chars: fc.integer({ min: 1000, max: 8000 }), fill: hugeStringFill, field: hugeStringField }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('badEscape' as const), escape: fc.constantFrom(...BAD_ESCAPES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('badUtf8' as const), bytes: fc.oneof(fc.constantFrom(...BAD_UTF8), fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 8 })) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 2048 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('protobuf' as const), variant: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 512 }) }) },
    // nestedGroups is a byte a level, nestedMessages ~3; hugeLength is a few bytes whatever the depth.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('protobuf' as const), variant: fc.constantFrom('nestedGroups' as const, 'nestedMessages' as const, 'hugeLength' as const), depth: deep }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('yamlAliases' as const), levels: fc.integer({ min: 2, max: 12 }), width: fc.integer({ min: 2, max: 12 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('jsonPatchCopyBomb' as const), copies: fc.integer({ min: 20, max: 60 }), op: fc.constantFrom('copy' as const, 'move-copy' as const) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  );
}

/** Bodies of ~64 KiB to ~1 MiB: deeper nesting, longer strings, and the JSON patch operation limit. */
export function mediumBodyRecipe(): fc.Arbitrary<BodyRecipe> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...nestShapes).chain((shape) => fc.record({
      kind: fc.constant('nest' as const), shape: fc.constant(shape),
      depth: shape === 'yamlBlockMap' ? fc.integer({ min: 400, max: 1000 }) : fc.oneof(fc.constant(10_000), fc.integer({ min: 10_000, max: 100_000 })),
    })) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('hugeString' as const), chars: fc.integer({ min: 30_000, max: 300_000 }), fill: hugeStringFill, field: hugeStringField }) },
    // The limit of 10,000 operations, and one past it: ~400-500 KB, so never small.
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('jsonPatchOps' as const), ops: fc.constantFrom(10_000, 10_001), op: fc.constantFrom('test' as const, 'add' as const, 'remove' as const) }) },
  );
}

/** Bodies near or over the request limit: ~1 MiB to just past it, and far past it. */
export function nearLimitBodyRecipe(maxRequestBytes: number): fc.Arbitrary<BodyRecipe> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), shape: fc.constantFrom(...nestShapes), depth: fc.integer({ min: 150_000, max: 200_000 }) }) },
    // Multibyte and escaped fills grow on the wire: some of these are over the limit.
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('hugeString' as const), chars: fc.integer({ min: Math.floor(maxRequestBytes / 3), max: maxRequestBytes + 1000 }), fill: hugeStringFill, field: hugeStringField }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('jsonPatchOps' as const), ops: fc.constant(50_000), op: fc.constantFrom('test' as const, 'add' as const, 'remove' as const) }) },
    // Refused unread (413): the cheapest of these for the server, so the most of them.
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('oversized' as const), overBytes: fc.integer({ min: 1, max: 1024 * 1024 }), fill: fc.constantFrom('json' as const, 'zeros' as const) }) },
  );
}

export function bodyRecipe(maxRequestBytes: number, mix: BodyMix = THOROUGH_BODY_MIX): fc.Arbitrary<BodyRecipe> {
  const large = Math.max(0, Math.min(1000, mix.nearLimitPerMille));
  const medium = Math.max(0, Math.min(1000 - large, mix.mediumPerMille));
  const tiers = [
    { weight: 1000 - large - medium, arbitrary: smallBodyRecipe() },
    { weight: medium, arbitrary: mediumBodyRecipe() },
    { weight: large, arbitrary: nearLimitBodyRecipe(maxRequestBytes) },
  ].filter((t) => t.weight > 0);
  return fc.oneof(...tiers);
}

const BAD_ESCAPES = ['\\x41', '\\u12', '\\uZZZZ', '\\ud800', '\\udc00\\ud800', '\\', '\\a', '\\0', '\\U0001F600', '\\u00', '\\\u0000', '\u0000', '\u001f', '\\\n'];
const BAD_UTF8 = [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];

const configMapJson = (name: string, data: string) =>
  `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":${name}},"data":{"k":${data}}}`;

export function renderBody(recipe: BodyRecipe, maxRequestBytes: number): Buffer {
  switch (recipe.kind) {
    case 'nest': return Buffer.from(nested(recipe.shape, recipe.depth));
    case 'hugeString': {
      const unit = { ascii: 'x', multibyte: 'é漢', escapes: '\\u00e9\\n' }[recipe.fill];
      const s = `"${unit.repeat(Math.ceil(recipe.chars / unit.length)).slice(0, recipe.chars).replace(/\\$/, '')}"`;
      const meta = { name: `{"name":${s}}`, data: `{"name":"fuzz-huge"}`, key: `{"name":"fuzz-huge"}`, label: `{"name":"fuzz-huge","labels":{"a":${s}}}`, annotation: `{"name":"fuzz-huge","annotations":{"a":${s}}}` }[recipe.field];
      const data = recipe.field === 'data' ? `{"k":${s}}` : recipe.field === 'key' ? `{${s}:"v"}` : '{"k":"v"}';
      return Buffer.from(`{"apiVersion":"v1","kind":"ConfigMap","metadata":${meta},"data":${data}}`);
    }
    case 'badEscape': return Buffer.from(configMapJson('"fuzz-esc"', `"a${recipe.escape}b"`));
    case 'badUtf8': return Buffer.concat([Buffer.from(configMapJson('"fuzz-utf8"', '"a').slice(0, -2)), Buffer.from(recipe.bytes), Buffer.from('b"}}')]);
    case 'random': return Buffer.from(recipe.bytes);
    case 'protobuf': return protobufBody(recipe);
    case 'yamlAliases': {
      // The billion laughs: each level names `width` references to the one before.
      const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: fuzz-laughs}', 'l0: &l0 "lol"'];
      for (let i = 1; i <= recipe.levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: recipe.width }, () => `*l${i - 1}`).join(', ')}]`);
      lines.push(`data: {k: *l${recipe.levels}}`);
      return Buffer.from(lines.join('\n'));
    }
    case 'oversized': {
      const size = maxRequestBytes + recipe.overBytes;
      if (recipe.fill === 'zeros') return Buffer.alloc(size);
      const head = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fuzz-big"},"data":{"k":"';
      return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length - 3)) + '"}}');
    }
    case 'jsonPatchCopyBomb': {
      // Each copy puts the whole data map inside itself: the document doubles with every op.
      const ops: unknown[] = [{ op: 'add', path: '/data', value: { seed: 'x'.repeat(1024) } }];
      for (let i = 0; i < recipe.copies; i++) {
        if (recipe.op === 'copy') ops.push({ op: 'copy', from: '/data', path: `/data/c${i}` });
        else ops.push({ op: 'copy', from: '/data', path: `/data/c${i}` }, { op: 'move', from: `/data/c${i}`, path: `/data/m${i}` });
      }
      return Buffer.from(JSON.stringify(ops));
    }
    case 'jsonPatchOps': {
      const one = { test: '{"op":"test","path":"/kind","value":"ConfigMap"}', add: '{"op":"add","path":"/metadata/labels","value":{}}', remove: '{"op":"remove","path":"/metadata/labels"}' }[recipe.op];
      return Buffer.from(`[${Array.from({ length: recipe.ops }, () => one).join(',')}]`);
    }
    case 'empty': return Buffer.alloc(0);
  }
}

/** Deeply nested text: the JSON and YAML (flow and block) forms that recurse in a parser. */
export function nested(shape: NestShape, d: number): string {
  switch (shape) {
    case 'jsonArray': return '['.repeat(d) + ']'.repeat(d);
    case 'jsonArrayOpen': return '['.repeat(d);
    case 'jsonObject': return '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    case 'jsonObjectInData': return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fuzz-deep","labels":${'{"a":'.repeat(d)}1${'}'.repeat(d)}},"data":{"k":"v"}}`;
    case 'yamlFlowMap': return '{'.repeat(d) + '}'.repeat(d);
    case 'yamlFlowSeq': return '['.repeat(d) + ']'.repeat(d);
    case 'mixedFlow': return '{a: ['.repeat(d) + ']}'.repeat(d);
    case 'yamlBlockSeq': return '- '.repeat(d) + 'a\n';
    case 'yamlBlockMap': {
      // One more space per level: the text grows with depth squared, so it is capped at ~2 MB.
      const levels = Math.min(d, 2000);
      return Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    }
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

function protobufBody(recipe: Extract<BodyRecipe, { kind: 'protobuf' }>): Buffer {
  const magic = Buffer.from(PROTOBUF_MAGIC);
  if (recipe.variant === 'random') return Buffer.concat([magic, Buffer.from(recipe.bytes)]);
  if (recipe.variant === 'nestedGroups') {
    // An unknown field 5 of wire type 3 (start group), opened again and again: a decoder that
    // skips unknown groups by recursion recurses once per byte.
    return Buffer.concat([magic, Buffer.alloc(recipe.depth, 0x2b)]);
  }
  if (recipe.variant === 'hugeLength') {
    // The envelope's raw field (2, length-delimited) claiming far more bytes than follow.
    return Buffer.concat([magic, Buffer.from([0x0a, 0x06, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x00, 0x12, ...varint(2 ** 31 - 1 + recipe.depth)]), Buffer.from('abc')]);
  }
  // Length-delimited field 1 inside field 1 inside ...: each level's length covers the rest.
  let inner = Buffer.alloc(0);
  const levels = Math.min(recipe.depth, 20_000);
  for (let i = 0; i < levels; i++) inner = Buffer.concat([Buffer.from([0x0a, ...varint(inner.length)]), inner]);
  const typeMeta = Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0x76, 0x31]);
  return Buffer.concat([magic, typeMeta, Buffer.from([0x12, ...varint(inner.length)]), inner]);
}

// ---------------------------------------------------------------------------------------------
// Where bodies go: every write verb on a mix of resources and subresources

export type Verb = 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

interface Target { collection: string; sub?: string; verbs: Verb[] }

const ns = `/api/v1/namespaces/${TARGET_NAMESPACE}`;
const appsNs = `/apis/apps/v1/namespaces/${TARGET_NAMESPACE}`;
export const TARGETS: Target[] = [
  { collection: `${ns}/pods`, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  { collection: `${ns}/configmaps`, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  { collection: `${appsNs}/deployments`, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  { collection: '/api/v1/nodes', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  { collection: '/api/v1/namespaces', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  { collection: `${ns}/pods`, sub: 'status', verbs: ['update', 'patch'] },
  { collection: `${appsNs}/deployments`, sub: 'status', verbs: ['update', 'patch'] },
  { collection: `${appsNs}/deployments`, sub: 'scale', verbs: ['update', 'patch'] },
  { collection: `${ns}/pods`, sub: 'binding', verbs: ['create'] },
  { collection: `${ns}/pods`, sub: 'eviction', verbs: ['create'] },
];

export interface BodyRequest { target: number; verb: Verb; contentType: string | null; body: BodyRecipe }

const VERB_METHOD: Record<Verb, string> = { create: 'POST', update: 'PUT', patch: 'PATCH', delete: 'DELETE', deletecollection: 'DELETE' };

export function bodyRequest(maxRequestBytes: number, body: fc.Arbitrary<BodyRecipe> = bodyRecipe(maxRequestBytes)): fc.Arbitrary<BodyRequest> {
  return fc.tuple(fc.integer({ min: 0, max: TARGETS.length - 1 }), body).chain(([target, b]) => fc.record({
    target: fc.constant(target),
    verb: fc.constantFrom(...TARGETS[target]!.verbs),
    // JSON patch documents go half the time as what they are, so they reach the patch code
    // (and its operation limits) rather than a decoder that refuses an array.
    contentType: b.kind === 'jsonPatchOps' || b.kind === 'jsonPatchCopyBomb'
      ? fc.oneof(fc.constant('application/json-patch+json' as const), fc.constantFrom(...CONTENT_TYPES))
      : fc.constantFrom(...CONTENT_TYPES),
    body: fc.constant(b),
  }));
}

export function renderBodyRequest(req: BodyRequest, maxRequestBytes: number): WireRequest {
  const t = TARGETS[req.target]!;
  const onObject = req.verb !== 'deletecollection' && (req.verb !== 'create' || t.sub !== undefined);
  let path = onObject ? `${t.collection}/${TARGET_NAME}${t.sub ? `/${t.sub}` : ''}` : t.collection;
  // Server-side apply needs a field manager before it looks at the body.
  if (req.contentType === 'application/apply-patch+yaml') path += '?fieldManager=fuzz&force=true';
  const headers: [string, string][] = [['Connection', 'close']];
  if (req.contentType !== null) headers.push(['Content-Type', req.contentType]);
  return { method: VERB_METHOD[req.verb], target: path, headers, body: renderBody(req.body, maxRequestBytes) };
}

/** Nested bodies must be refused by a depth bound; other bodies just with a Status. */
export const isNested = (req: BodyRequest): boolean => req.body.kind === 'nest' || (req.body.kind === 'protobuf' && req.body.variant !== 'random');

// ---------------------------------------------------------------------------------------------
// Request lines, URLs, queries and headers

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'BREW', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE', 'M-SEARCH', 'LINK', 'SOURCE', 'QUERY'];

const KNOWN_SEGMENTS = ['api', 'apis', 'v1', 'apps', 'namespaces', TARGET_NAMESPACE, 'kube-public', 'pods', 'configmaps', 'deployments', 'nodes',
  'status', 'scale', 'binding', 'eviction', TARGET_NAME, 'foo', '', '.', '..', '%zz', '%', '%00', '%2F', '%2e%2e', '%c0%af', '%ff', '%u0041', 'a;b', 'a,b', '~', '*', '@'];

/** A path segment: known words, percent junk, or arbitrary characters percent-encoded byte by byte (some left raw). */
const segment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map((s) => encodeBytes(s)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('%', 'z', '0', 'f', 'F', 'e', '2', '.', '/', '?', '#', '&', '='), maxLength: 12 }) },
);

const basePath = fc.constantFrom(
  `/api/v1/namespaces/${TARGET_NAMESPACE}/pods`, `/api/v1/namespaces/${TARGET_NAMESPACE}/configmaps`, `/apis/apps/v1/namespaces/${TARGET_NAMESPACE}/deployments`,
  '/api/v1/nodes', '/api/v1/namespaces', `/api/v1/namespaces/${TARGET_NAMESPACE}/pods/${TARGET_NAME}`, '/api/v1/pods', '/apis/apps/v1/deployments',
  '/api', '/apis', '/api/v1', '/apis/apps/v1', '/version', '/openapi/v3', '/healthz', '/metrics', '/', '',
);

export const QUERY_KEYS = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds',
  'watch', 'allowWatchBookmarks', 'sendInitialEvents', 'propagationPolicy', 'gracePeriodSeconds', 'orphanDependents', 'dryRun', 'fieldManager',
  'fieldValidation', 'force', 'pretty', 'includeUninitialized', 'export', 'exact'];

const QUERY_VALUES = ['', '1', '-1', '0', '9999999999999999999999', '1e3', '0x10', 'NaN', 'true', 'True', 'yes', 'All', 'None', 'Strict', 'Exact',
  'NotOlderThan', 'Background', 'a=b', 'a!=b', 'a in (b,c)', 'a notin (', '!a', 'a,,b', 'metadata.name=x', 'spec.nodeName!=', 'status.phase==Running,',
  '((((', 'a=' + 'b'.repeat(300), '%zz', '%', '%00', '%ff%fe', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0', 'e30', '!!!', '\u00e9'];

const queryValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...QUERY_VALUES).map((v) => (/%/.test(v) ? v : encodeBytes(v))) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((s) => encodeBytes(s)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('%', '&', '=', '[', ']', '+', 'a', '0', ';'), maxLength: 16 }) },
);

/** Percent-encodes every byte of s's UTF-8 that is not unreserved (lone surrogates become U+FFFD). */
export function encodeBytes(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const ACCEPTS = ['application/json', '*/*', 'application/xml', 'application/vnd.kubernetes.protobuf', 'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;g=meta.k8s.io;v=v1beta1,application/json', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', ';;;', ',,,', 'a/b/c', '', 'text/html;q=abc', 'application/json;q=0'];
const HEADER_CONTENT_TYPES: string[] = [...CONTENT_TYPES.flatMap((c) => (c === null ? [] : [c])), 'application/json; charset=latin1', 'application/json;;;',
  ';', 'a/b/c', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '*/*', 'APPLICATION/JSON', 'application/yaml; x="'];

const headerToken = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&\'*+.^`|~'), minLength: 1, maxLength: 20 });
/** Header values Node's parser accepts (visible latin1 and tabs), so the request reaches the server's code. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 80 });

export interface UrlRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: [string, string][];
  /** A small JSON object body, for the write verbs. */
  withBody: boolean;
}

export const urlRequest: fc.Arbitrary<UrlRequest> = fc.record({
  method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: headerToken.map((s) => s.toUpperCase()) }),
  path: fc.oneof(
    { weight: 3, arbitrary: basePath },
    { weight: 3, arbitrary: fc.tuple(basePath, fc.array(segment, { minLength: 1, maxLength: 4 })).map(([b, segs]) => [b, ...segs].join('/')) },
    { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 8 }).map((segs) => `/${segs.join('/')}`) },
  ),
  query: fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: queryValue }), queryValue), { maxLength: 5 })
    // A watch that is really opened would stream for minutes: watch is only ever garbage.
    .map((q) => q.filter(([k, v]) => k !== 'watch' || !/^(1|t|T|TRUE|true|True)$/.test(v))),
  headers: fc.array(fc.oneof(
    fc.tuple(fc.constant('Accept'), fc.oneof(fc.constantFrom(...ACCEPTS), headerValue)),
    fc.tuple(fc.constant('Content-Type'), fc.oneof(fc.constantFrom(...HEADER_CONTENT_TYPES), headerValue)),
    fc.tuple(fc.constantFrom('Accept-Encoding', 'Authorization', 'Impersonate-User', 'Impersonate-Group', 'X-Remote-User', 'If-None-Match', 'Range', 'Expect', 'Origin', 'Upgrade'), headerValue),
    fc.tuple(headerToken, headerValue),
  ), { maxLength: 4 })
    // Node's parser owns these framing headers; they are fuzzed on raw request lines.
    .map((hs) => hs.filter(([k]) => !/^(content-length|transfer-encoding|host|connection|expect|upgrade)$/i.test(k))),
  withBody: fc.boolean(),
});

export function renderUrlRequest(req: UrlRequest): WireRequest {
  const query = req.query.map(([k, v]) => `${k}=${v}`).join('&');
  const headers: [string, string][] = [['Connection', 'close'], ...req.headers];
  const body = req.withBody && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fuzz-url"}}') : undefined;
  return { method: req.method, target: (req.path.startsWith('/') ? req.path : `/${req.path}`) + (query ? `?${query}` : ''), headers, ...(body ? { body } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Raw bytes: broken request lines and framing no HTTP client sends

export type RawRecipe =
  | { kind: 'template'; name: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'requestLine'; method: string; target: string; version: string };

export const RAW_TEMPLATES: Record<string, string> = {
  brew: 'BREW /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n\r\n',
  brewCoffeePot: 'BREW /coffee HTTP/1.1\r\nHost: x\r\nContent-Type: message/coffeepot\r\nContent-Length: 5\r\n\r\nstart',
  propfind: 'PROPFIND /api/v1/pods HTTP/1.1\r\nHost: x\r\nDepth: 1\r\n\r\n',
  connect: 'CONNECT 127.0.0.1:6443 HTTP/1.1\r\nHost: 127.0.0.1:6443\r\n\r\n',
  connectPath: 'CONNECT /api/v1/pods HTTP/1.1\r\nHost: x\r\n\r\n',
  badPercent: 'GET /api/v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n',
  badPercentQuery: 'GET /api/v1/pods?labelSelector=%zz&limit=%ff HTTP/1.1\r\nHost: x\r\n\r\n',
  garbageLine: 'GARBAGE\r\n\r\n',
  noVersion: 'GET /api/v1/pods\r\n\r\n',
  http09: 'GET /\r\n',
  http2Preface: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  badVersion: 'GET /api HTTP/9.9\r\nHost: x\r\n\r\n',
  lfOnly: 'GET /api/v1/pods HTTP/1.1\nHost: x\n\n',
  headerNoColon: 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
  headerSpaceName: 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n',
  nulInPath: 'GET /api/v1/\u0000pods HTTP/1.1\r\nHost: x\r\n\r\n',
  spaceInPath: 'GET /api/v1/po ds HTTP/1.1\r\nHost: x\r\n\r\n',
  absoluteUri: 'GET http://evil.example/api/v1/pods HTTP/1.1\r\nHost: x\r\n\r\n',
  asterisk: 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  noHost: 'GET /api/v1/pods HTTP/1.1\r\n\r\n',
  twoHosts: 'GET /api/v1/pods HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  negativeLength: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}',
  twoLengths: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
  lengthAndChunked: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  badChunkSize: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  hugeChunkSize: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n',
  shortBody: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind":',
  truncatedHeaders: 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nAccept: appl',
  expectContinue: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}',
  expectOther: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nExpect: 999-coffee\r\nContent-Length: 2\r\n\r\n{}',
  upgradeH2c: 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
  upgradeWebsocketBad: 'GET /api/v1/namespaces/default/pods/fuzz-target/exec?command=sh HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\n\r\n',
  hugeHeader: `GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
  manyHeaders: `GET /api/v1/pods HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
  hugeUrl: `GET /api/v1/pods?labelSelector=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  pipelinedGarbage: 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nBREW / HTTP/1.1\r\n\r\n\u0000\u0001\u0002',
};

const requestTargetChar = fc.integer({ min: 0x21, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));

export const rawRecipe: fc.Arbitrary<RawRecipe> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('template' as const), name: fc.constantFrom(...Object.keys(RAW_TEMPLATES)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 512 }) }) },
  { weight: 2, arbitrary: fc.record({
    kind: fc.constant('requestLine' as const),
    method: fc.oneof(fc.constantFrom(...METHODS, 'CONNECT', 'get', 'G\u00e9T', ''), headerToken),
    target: fc.oneof(fc.constantFrom('/api/v1/%zz', '/api/v1/pods', '*', '', '//', '/..'), fc.string({ unit: requestTargetChar, maxLength: 60 }).map((s) => `/${s}`)),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/1.1 extra', 'http/1.1', 'HTTP/01.1', ''),
  }) },
);

export function renderRaw(recipe: RawRecipe): WireRequest {
  switch (recipe.kind) {
    case 'template': return { method: '', target: '', headers: [], raw: Buffer.from(RAW_TEMPLATES[recipe.name]!, 'latin1') };
    case 'bytes': return { method: '', target: '', headers: [], raw: Buffer.from(recipe.bytes) };
    case 'requestLine': return { method: '', target: '', headers: [], raw: Buffer.from(`${recipe.method} ${recipe.target} ${recipe.version}\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1') };
  }
}

// ---------------------------------------------------------------------------------------------
// The objects the requests aim at

/** POSTs an object; one that exists already is fine. */
export async function postObject(url: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  if (res.status !== 201 && res.status !== 409) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
}

/** Made before a run, and again after a crash or a request that deleted one, so patches and updates reach the decoders. */
export async function seedTargets(url: string): Promise<void> {
  const metadata = { name: TARGET_NAME };
  const spec = { containers: [{ name: 'c', image: 'busybox:1.35' }] };
  await postObject(url, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata });
  await postObject(url, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata });
  await postObject(url, `/api/v1/namespaces/${TARGET_NAMESPACE}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata, spec });
  await postObject(url, `/api/v1/namespaces/${TARGET_NAMESPACE}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { a: '1' } });
  await postObject(url, `/apis/apps/v1/namespaces/${TARGET_NAMESPACE}/deployments`, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata,
    spec: { replicas: 1, selector: { matchLabels: { app: 'fuzz' } }, template: { metadata: { labels: { app: 'fuzz' } }, spec } },
  });
}

// ---------------------------------------------------------------------------------------------
// One stream of all of them, for the bench

export type HostileRecipe = { body: BodyRequest } | { url: UrlRequest } | { raw: RawRecipe };

export function hostileRecipe(maxRequestBytes: number, mix: BodyMix = THOROUGH_BODY_MIX): fc.Arbitrary<HostileRecipe> {
  return fc.oneof(
    { weight: 5, arbitrary: bodyRequest(maxRequestBytes, bodyRecipe(maxRequestBytes, mix)).map((body) => ({ body })) },
    { weight: 4, arbitrary: urlRequest.map((url) => ({ url })) },
    { weight: 1, arbitrary: rawRecipe.map((raw) => ({ raw })) },
  );
}

export function renderHostile(recipe: HostileRecipe, maxRequestBytes: number): WireRequest {
  if ('body' in recipe) return renderBodyRequest(recipe.body, maxRequestBytes);
  if ('url' in recipe) return renderUrlRequest(recipe.url);
  return renderRaw(recipe.raw);
}
