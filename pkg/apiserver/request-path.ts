// Turns a Kubernetes REST path into what it addresses. Namespaces are both a resource and a
// scope, so /api/v1/namespaces/x/pods is a list of pods while /api/v1/namespaces/x/status is
// the status of namespace x: the resource table decides.
import type { ResourceInfo } from '../api/resources.js';
import { findResource } from '../api/resources.js';
import { memoize } from '../api/memoize.js';

export interface ResourcePath {
  group: string;
  version: string;
  resource: ResourceInfo;
  namespace?: string;      // set for namespaced requests (or all namespaces when undefined)
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'group'; group: string }
  | { kind: 'notFound' };

export function parsePath(url: string): ParsedPath {
  const q = url.indexOf('?');
  return parsePathOnly(q >= 0 ? url.slice(0, q) : url);
}

// Every request's path is parsed, and most are one of a few (a resource's collection).
const parsePathOnly = memoize((pathOnly: string): ParsedPath => {
  const parsed = parseUncached(pathOnly);
  if (parsed.kind === 'resource') Object.freeze(parsed.path);
  return Object.freeze(parsed);
});

function parseUncached(pathOnly: string): ParsedPath {
  const segs = pathOnly.split('/').filter(Boolean).map(safeDecode);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = ''; version = segs[1]!; rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!; version = segs[2]!; rest = segs.slice(3);
  } else if (segs[0] === 'apis' && segs.length === 2) {
    return { kind: 'group', group: segs[1]! };
  } else {
    return { kind: 'notFound' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };

  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}... unless it is the namespaces resource itself
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const nsRes = findResource(group, version, 'namespaces');
    const isNamespaceSub = !!nsRes && rest.length === 3 && nsRes.subresources.some((s) => s.name === rest[2]);
    if (!isNamespaceSub) { namespace = rest[1]; rest = rest.slice(2); }
  }
  const resource = findResource(group, version, rest[0]!);
  if (!resource || rest.length > 3) return { kind: 'notFound' };
  if (namespace !== undefined && !resource.namespaced) return { kind: 'notFound' };
  const path: ResourcePath = { group, version, resource };
  if (namespace !== undefined) path.namespace = namespace;
  if (rest[1] !== undefined) path.name = rest[1];
  if (rest[2] !== undefined) {
    if (!resource.subresources.some((s) => s.name === rest[2])) return { kind: 'notFound' };
    path.subresource = rest[2];
  }
  return { kind: 'resource', path };
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try { return decodeURIComponent(s); } catch { return s; }
}
