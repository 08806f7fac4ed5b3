// The shape every stored object shares, and small helpers over object metadata.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** kubernetes-types marks system fields readonly; the server is the one that writes them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type MutableObjectMeta = Mutable<ObjectMeta>;

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: MutableObjectMeta;
  [field: string]: unknown;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key of queues and caches. */
export function objectKey(obj: { metadata?: { namespace?: string; name?: string } | undefined }): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : obj.metadata?.name ?? '';
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Query booleans parse like Go's strconv.ParseBool: the Python client sends `True`. */
export function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return undefined;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function nowRfc3339(date?: Date): string {
  if (date) return `${date.toISOString().slice(0, 19)}Z`;
  // Every create stamps the time: formatted once per second.
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
  }
  return lastSecondText;
}
let lastSecond = -1;
let lastSecondText = '';

/** RFC 3339 with microseconds, as metav1.MicroTime serialises (leases, events). */
export function nowMicroTime(date = new Date()): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export function controllerRef(obj: { metadata?: ObjectMeta }) {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}
