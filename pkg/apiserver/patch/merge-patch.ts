// application/merge-patch+json (RFC 7386), with the edge cases of the json-patch library
// the upstream apiserver uses (evanphx/json-patch MergePatch).
import type { KubeObject } from '../../api/meta.js';
import { errors } from '../../api/errors.js';
import { isJsonObject, patchErrors } from './patch-errors.js';

export function applyMergePatch(original: KubeObject, patch: unknown): KubeObject {
  if (Array.isArray(patch)) {
    // Upstream's MergePatch returns the (null-pruned) array itself, which then fails to
    // decode as an object.
    throw patchErrors.undecodable(pruneNulls(structuredClone(patch)),
      "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }");
  }
  if (!isJsonObject(patch)) throw errors.badRequest('Invalid JSON Patch');
  const doc = structuredClone(original) as Record<string, unknown>;
  mergeInto(doc, structuredClone(patch));
  return doc as KubeObject;
}

/** Merges `patch` into `doc` in place: null deletes, objects merge, anything else replaces. */
export function mergeInto(doc: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete doc[key];
      continue;
    }
    const current = doc[key];
    if (!isJsonObject(current)) {
      doc[key] = pruneNulls(value);
    } else if (isJsonObject(value)) {
      mergeInto(current, value);
    } else {
      doc[key] = value;
    }
  }
}

/** Drops null members of objects at any depth; nulls that are array elements stay. */
function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    value.forEach(pruneNulls);
  } else if (isJsonObject(value)) {
    for (const [key, member] of Object.entries(value)) {
      if (member === null) delete value[key];
      else pruneNulls(member);
    }
  }
  return value;
}
