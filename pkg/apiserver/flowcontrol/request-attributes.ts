// What priority and fairness (and max-in-flight) know of a request before it is served:
// upstream's RequestInfo, reduced to the fields that classification and work estimation read.
import { parsePath } from '../request-path.js';

export interface RequestAttributes {
  isResourceRequest: boolean;
  /** Kubernetes' lower-case verb: get, list, watch, create, update, patch, delete, deletecollection; the method for other paths. */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped requests and lists across all namespaces. */
  namespace: string;
  name: string;
  /** The path without the query: what nonResourceURLs match. */
  path: string;
}

const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);
/** kube-apiserver's long-running check: these run until the client leaves, so they hold no seat. */
const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

export function requestAttributes(method: string, url: string): RequestAttributes {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const parsed = parsePath(url);
  if (parsed.kind !== 'resource') {
    return { isResourceRequest: false, verb: method.toLowerCase(), apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path };
  }
  const p = parsed.path;
  const hasName = p.name !== undefined;
  return {
    isResourceRequest: true,
    verb: resourceVerb(method, hasName, q >= 0 && isWatchQuery(url.slice(q + 1))),
    apiGroup: p.group, resource: p.resource.plural, subresource: p.subresource ?? '',
    namespace: p.namespace ?? '', name: p.name ?? '', path,
  };
}

function resourceVerb(method: string, hasName: boolean, isWatch: boolean): string {
  switch (method) {
    case 'GET': case 'HEAD': return isWatch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return hasName ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

/** watch=true, 1, t, True... as Go's ParseBool, which Kubernetes uses for query booleans. */
function isWatchQuery(query: string): boolean {
  const value = new URLSearchParams(query).get('watch');
  return value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

export function isReadOnly(attrs: RequestAttributes): boolean {
  return READ_ONLY_VERBS.has(attrs.verb);
}

export function isLongRunning(attrs: RequestAttributes): boolean {
  return attrs.isResourceRequest && (LONG_RUNNING_VERBS.has(attrs.verb) || LONG_RUNNING_SUBRESOURCES.has(attrs.subresource));
}
