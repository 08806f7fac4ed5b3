// /openapi/v2 and /openapi/v3 documents built from the schema definitions and the resource
// table. kubectl reads them for `explain`, for patch metadata, and — before `apply -f` /
// `create -f` — to learn that the server validates fields itself (a PATCH operation carrying
// the object's GVK and a `fieldValidation` parameter).
import { createHash } from 'node:crypto';
import { RESOURCES, groupVersion, groupVersionPath, type ResourceInfo, type SubresourceInfo } from '../api/resources.js';
import type { GroupVersionKind, JsonSchema, SchemaRegistry } from './validation.js';

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'connect';

interface Param { name: string; in: 'path' | 'query'; type: 'string' | 'integer' | 'boolean'; description: string; required?: boolean }

interface Operation {
  method: Method;
  operationId: string;
  description: string;
  action: Action;
  gvk: GroupVersionKind;
  query: Param[];
  body?: string;              // definition name of the request body
  response: string;           // definition name, or 'string' for text bodies (logs)
  created?: boolean;          // also answers 201 (create) / 202 (delete)
  patch?: boolean;
  produces?: string[];
}

interface PathItem { path: string; gv: string; params: Param[]; ops: Operation[] }

export interface OpenApiDocument { body: Buffer; hash: string; etag: string }

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const SERVER_VERSION = 'v1.32.4';

const q = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description });
const P = {
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldValidation: q('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'boolean', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.'),
  propagationPolicy: q('propagationPolicy', 'string', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.'),
  continue: q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  resourceVersion: q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
  container: q('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
  follow: q('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  previous: q('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
  tailLines: q('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show.'),
  timestamps: q('timestamps', 'boolean', 'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.'),
};
const LIST_QUERY = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_QUERY = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_QUERY = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const pathParam = (name: string, what: string): Param => ({ name, in: 'path', type: 'string', required: true, description: what });
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

/** apps → Apps, rbac.authorization.k8s.io → RbacAuthorization, core → Core (as in upstream operation ids). */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function definitionFor(reg: SchemaRegistry, group: string, version: string, kind: string): string {
  return reg.definitionName(group, version, kind) ?? `${META}.Status`;
}

/** The operation model shared by both documents. */
function pathItems(reg: SchemaRegistry): PathItem[] {
  const items: PathItem[] = [];
  for (const res of RESOURCES) {
    const gv = groupVersionPath(res).slice(1);
    const gvk: GroupVersionKind = { group: res.group, version: res.version, kind: res.kind };
    const def = definitionFor(reg, res.group, res.version, res.kind);
    const listDef = reg.definitionName(res.group, res.version, `${res.kind}List`) ?? def;
    const id = `${groupWord(res.group)}${cap(res.version)}`;
    const ns = res.namespaced ? 'Namespaced' : '';
    const base = `/${gv}${res.namespaced ? '/namespaces/{namespace}' : ''}/${res.plural}`;
    const scope = res.namespaced ? [NAMESPACE] : [];
    const has = (v: string): boolean => res.verbs.includes(v);

    const collection: Operation[] = [];
    if (has('list')) collection.push({ method: 'get', operationId: `list${id}${ns}${res.kind}`, description: `list or watch objects of kind ${res.kind}`, action: 'list', gvk, query: LIST_QUERY, response: listDef });
    if (has('create')) collection.push({ method: 'post', operationId: `create${id}${ns}${res.kind}`, description: `create ${article(res.kind)} ${res.kind}`, action: 'post', gvk, query: WRITE_QUERY, body: def, response: def, created: true });
    if (has('deletecollection')) collection.push({ method: 'delete', operationId: `deletecollection${id}${ns}${res.kind}`, description: `delete collection of ${res.kind}`, action: 'deletecollection', gvk, query: [...DELETE_QUERY, ...LIST_QUERY.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks')], body: `${META}.DeleteOptions`, response: `${META}.Status` });
    if (collection.length) items.push({ path: base, gv, params: [...scope, P.pretty], ops: collection });

    const named = pathParam('name', `name of the ${res.kind}`);
    const one: Operation[] = [];
    if (has('get')) one.push({ method: 'get', operationId: `read${id}${ns}${res.kind}`, description: `read the specified ${res.kind}`, action: 'get', gvk, query: [], response: def });
    if (has('update')) one.push({ method: 'put', operationId: `replace${id}${ns}${res.kind}`, description: `replace the specified ${res.kind}`, action: 'put', gvk, query: WRITE_QUERY, body: def, response: def, created: true });
    if (has('patch')) one.push({ method: 'patch', operationId: `patch${id}${ns}${res.kind}`, description: `partially update the specified ${res.kind}`, action: 'patch', gvk, query: [...WRITE_QUERY, P.force], body: `${META}.Patch`, response: def, created: true, patch: true });
    if (has('delete')) one.push({ method: 'delete', operationId: `delete${id}${ns}${res.kind}`, description: `delete ${article(res.kind)} ${res.kind}`, action: 'delete', gvk, query: DELETE_QUERY, body: `${META}.DeleteOptions`, response: def, created: true });
    if (one.length) items.push({ path: `${base}/{name}`, gv, params: [named, ...scope, P.pretty], ops: one });

    if (res.namespaced && has('list')) {
      items.push({ path: `/${gv}/${res.plural}`, gv, params: [P.pretty], ops: [{ method: 'get', operationId: `list${id}${res.kind}ForAllNamespaces`, description: `list or watch objects of kind ${res.kind}`, action: 'list', gvk, query: LIST_QUERY, response: listDef }] });
    }
    for (const sub of res.subresources) {
      const item = subresourceItem(reg, res, sub, `${base}/{name}/${sub.name}`, gv, [named, ...scope, P.pretty], `${id}${ns}${res.kind}`);
      if (item) items.push(item);
    }
  }
  return items;
}

function subresourceItem(reg: SchemaRegistry, res: ResourceInfo, sub: SubresourceInfo, path: string, gv: string, params: Param[], idBase: string): PathItem | undefined {
  const group = sub.group ?? res.group;
  const version = sub.version ?? res.version;
  const gvk: GroupVersionKind = { group, version, kind: sub.kind };
  const id = `${idBase}${cap(sub.name)}`;
  if (sub.name === 'log') {
    return { path, gv, params, ops: [{ method: 'get', operationId: `read${id}`, description: `read log of the specified ${res.kind}`, action: 'get', gvk,
      query: [P.container, P.follow, P.previous, P.tailLines, P.timestamps], response: 'string', produces: ['text/plain', 'application/json'] }] };
  }
  const def = reg.definitionName(group, version, sub.kind);
  if (!def) return undefined;     // connect subresources (exec, attach, portforward) have no body schema
  const what = sub.name === 'status' || sub.name === 'scale' || sub.name === 'ephemeralcontainers' ? `${sub.name} of ` : '';
  const ops: Operation[] = [];
  for (const verb of sub.verbs) {
    if (verb === 'get') ops.push({ method: 'get', operationId: `read${id}`, description: `read ${what}the specified ${res.kind}`, action: 'get', gvk, query: [], response: def });
    if (verb === 'update') ops.push({ method: 'put', operationId: `replace${id}`, description: `replace ${what}the specified ${res.kind}`, action: 'put', gvk, query: WRITE_QUERY, body: def, response: def, created: true });
    if (verb === 'patch') ops.push({ method: 'patch', operationId: `patch${id}`, description: `partially update ${what}the specified ${res.kind}`, action: 'patch', gvk, query: [...WRITE_QUERY, P.force], body: `${META}.Patch`, response: def, created: true, patch: true });
    if (verb === 'create') ops.push({ method: 'post', operationId: `create${id}`, description: `create ${sub.kind.replace(/Request$/, '')} of ${article(res.kind)} ${res.kind}`, action: 'post', gvk, query: WRITE_QUERY, body: def, response: def, created: true });
  }
  return ops.length ? { path, gv, params, ops } : undefined;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

function tag(gv: string): string {
  const [, group, version] = /^apis?\/(?:(.+)\/)?([^/]+)$/.exec(gv) ?? [];
  const words = (group ?? 'core').replace(/\.k8s\.io$/, '').split('.');
  return `${words.map((w, i) => (i ? cap(w) : w)).join('')}_${version ?? ''}`;
}

// ---- OpenAPI v2 -------------------------------------------------------------------------

const v2Param = (p: Param): Record<string, unknown> => ({ uniqueItems: true, ...p });

export function buildOpenApiV2(reg: SchemaRegistry): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const item of pathItems(reg)) {
    const entry: Record<string, unknown> = {};
    for (const op of item.ops) {
      const parameters: unknown[] = op.query.map(v2Param);
      if (op.body) parameters.unshift({ name: 'body', in: 'body', required: op.method !== 'delete', schema: { $ref: `#/definitions/${op.body}` } });
      const schema = op.response === 'string' ? { type: 'string' } : { $ref: `#/definitions/${op.response}` };
      const responses: Record<string, unknown> = { 200: { description: 'OK', schema }, 401: { description: 'Unauthorized' } };
      if (op.created) responses[op.method === 'delete' ? 202 : 201] = { description: op.method === 'delete' ? 'Accepted' : 'Created', schema };
      entry[op.method] = {
        description: op.description,
        consumes: op.patch ? PATCH_TYPES : ['*/*'],
        produces: op.produces ?? [...JSON_TYPES, ...(op.action === 'list' ? ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'] : [])],
        schemes: ['https'],
        tags: [tag(item.gv)],
        operationId: op.operationId,
        parameters,
        responses,
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': op.gvk,
      };
    }
    entry['parameters'] = item.params.map(v2Param);
    paths[item.path] = entry;
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION },
    paths,
    definitions: reg.definitions,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

// ---- OpenAPI v3 -------------------------------------------------------------------------

const v3Param = (p: Param): Record<string, unknown> => {
  const { type, ...rest } = p;
  return { ...rest, schema: { type, uniqueItems: true } };
};

/** A v2 definition in v3 form: refs into components, and `allOf` where a ref has siblings. */
function v3Schema(s: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') continue;
    if (k === 'items' || k === 'additionalProperties') out[k] = v3Schema(v as JsonSchema);
    else if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, v3Schema(ps)]));
    else out[k] = v;
  }
  if (s.$ref) {
    const ref = s.$ref.replace('#/definitions/', '#/components/schemas/');
    if (Object.keys(out).length === 0) return { $ref: ref };
    return { allOf: [{ $ref: ref }], ...out };
  }
  return out;
}

function collectRefs(reg: SchemaRegistry, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries(s)) {
      if (k === '$ref' && typeof v === 'string') stack.push(v.replace('#/definitions/', ''));
      else visit(v);
    }
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || !reg.definitions[name]) continue;
    seen.add(name);
    visit(reg.definitions[name]);
  }
  return [...seen].sort();
}

export function buildOpenApiV3(reg: SchemaRegistry, path: string): object | undefined {
  const gv = path.replace(/^\/+|\/+$/g, '').replace(/^openapi\/v3\//, '');
  const items = pathItems(reg).filter((i) => i.gv === gv);
  if (!items.length) return undefined;
  const roots = new Set<string>([`${META}.Status`]);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    for (const op of item.ops) {
      if (op.body) roots.add(op.body);
      if (op.response !== 'string') roots.add(op.response);
      const schema = op.response === 'string' ? { type: 'string' } : { $ref: `#/components/schemas/${op.response}` };
      const content = Object.fromEntries((op.produces ?? JSON_TYPES).map((t) => [t, { schema }]));
      const responses: Record<string, unknown> = { 200: { description: 'OK', content }, 401: { description: 'Unauthorized' } };
      if (op.created) responses[op.method === 'delete' ? 202 : 201] = { description: op.method === 'delete' ? 'Accepted' : 'Created', content };
      const operation: Record<string, unknown> = {
        tags: [tag(gv)],
        description: op.description,
        operationId: op.operationId,
        parameters: op.query.map(v3Param),
        responses,
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': op.gvk,
      };
      if (op.body) {
        const bodySchema = { $ref: `#/components/schemas/${op.body}` };
        const types = op.patch ? PATCH_TYPES : ['*/*'];
        operation['requestBody'] = { content: Object.fromEntries(types.map((t) => [t, { schema: bodySchema }])), required: op.method !== 'delete' };
      }
      entry[op.method] = operation;
    }
    entry['parameters'] = item.params.map(v3Param);
    paths[item.path] = entry;
  }
  const schemas = Object.fromEntries(collectRefs(reg, roots).map((name) => [name, v3Schema(reg.definitions[name]!)]));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION },
    paths,
    components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
    security: [{ BearerToken: [] }],
  };
}

// ---- served bytes ----------------------------------------------------------------------

interface Served { v2?: OpenApiDocument; v3: Map<string, OpenApiDocument | undefined> }
const served = new WeakMap<SchemaRegistry, Served>();

function servedFor(reg: SchemaRegistry): Served {
  let s = served.get(reg);
  if (!s) { s = { v3: new Map() }; served.set(reg, s); }
  return s;
}

function documentOf(doc: object): OpenApiDocument {
  const body = Buffer.from(JSON.stringify(doc));
  // Upstream's hash is the upper-case hex SHA-512 of the document.
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}

/** The /openapi/v2 JSON, built once per registry. */
export function openApiV2Document(reg: SchemaRegistry): OpenApiDocument {
  const s = servedFor(reg);
  s.v2 ??= documentOf(buildOpenApiV2(reg));
  return s.v2;
}

/** The /openapi/v3/<path> JSON (`apis/apps/v1`), built once per registry; undefined when no such group version. */
export function openApiV3Document(reg: SchemaRegistry, path: string): OpenApiDocument | undefined {
  const key = path.replace(/^\/+|\/+$/g, '').replace(/^openapi\/v3\//, '');
  const s = servedFor(reg);
  if (!s.v3.has(key)) {
    const doc = buildOpenApiV3(reg, key);
    s.v3.set(key, doc && documentOf(doc));
  }
  return s.v3.get(key);
}

/** The /openapi/v3 index: one entry per served group version, its URL pinned by content hash. */
export function openApiV3Index(reg: SchemaRegistry): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const seen = new Set<string>();
  for (const res of RESOURCES) {
    const key = groupVersionPath(res).slice(1);
    if (seen.has(groupVersion(res))) continue;
    seen.add(groupVersion(res));
    const doc = openApiV3Document(reg, key);
    if (doc) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  }
  return { paths };
}
