// PATCH body application, dispatched on the request's Content-Type as the upstream patch
// handler does. The caller decodes the JSON body and stores the result; this module only
// computes the patched object and never mutates its inputs.
import type { KubeObject } from '../../api/meta.js';
import { valueTooDeep } from '../../api/nesting-depth.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { patchErrors } from './patch-errors.js';
import type { PatchSchema } from './patch-schema.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** The media type without parameters (`; charset=utf-8`), as the handler compares it. */
export function patchMediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon > 0 ? contentType.slice(0, semicolon) : contentType).trim().toLowerCase();
}

export function applyPatch(contentType: string, original: KubeObject, patch: unknown, schema: PatchSchema): KubeObject {
  const patched = applyPatchOfType(contentType, original, patch, schema);
  // A patch of bounded depth can still nest the result deeper (a JSON patch adds a value at a
  // path as deep as the object): bound it before anything walks it.
  if (valueTooDeep(patched)) throw patchErrors.tooDeep();
  return patched;
}

function applyPatchOfType(contentType: string, original: KubeObject, patch: unknown, schema: PatchSchema): KubeObject {
  switch (patchMediaType(contentType)) {
    case patchTypes.json: return applyJsonPatch(original, patch);
    case patchTypes.merge: return applyMergePatch(original, patch);
    case patchTypes.strategic: return applyStrategicMergePatch(original, patch, schema);
    default: throw patchErrors.unsupportedMediaType();
  }
}
