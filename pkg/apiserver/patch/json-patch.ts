// application/json-patch+json (RFC 6902). Operations are applied by fast-json-patch; the
// Status codes and messages are those of the upstream apiserver, whose json-patch library
// (evanphx/json-patch) words its failures as reproduced in `failureMessage`.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { KubeObject } from '../../api/meta.js';
import { StatusError, errors } from '../../api/errors.js';
import { isJsonObject, jsonTypeName, patchErrors } from './patch-errors.js';
import { MAX_NESTING_DEPTH, valueTooDeep } from '../../api/nesting-depth.js';

/** handlers/patch.go maxJSONPatchOperations. */
export const maxJsonPatchOperations = 10000;

/**
 * How much copy operations may grow a document, in bytes of JSON: evanphx/json-patch's
 * AccumulatedCopySizeLimit, set to the default request size limit. Without it, 30 copies of a
 * document into itself make it a billion times larger.
 */
export const accumulatedCopySizeLimit = 3 * 1024 * 1024;

const knownOps = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(original: KubeObject, patch: unknown): KubeObject {
  // A JSON null decodes into an empty Go slice: no operations.
  if (patch === null) return structuredClone(original);
  if (!Array.isArray(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isJsonObject(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > maxJsonPatchOperations) {
    throw new StatusError(413, 'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`);
  }

  let doc: unknown = structuredClone(original);
  let copiedBytes = 0;
  const work = { nodes: 0 };
  for (const [index, raw] of (patch as Record<string, unknown>[]).entries()) {
    const op = structuredClone(raw);
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    if (!knownOps.has(kind)) throw patchErrors.unprocessable(`Unexpected kind: ${kind}`);
    if (typeof op.path !== 'string') throw patchErrors.unprocessable(`${kind} operation failed to decode path`);
    if ((kind === 'move' || kind === 'copy') && typeof op.from !== 'string') {
      throw patchErrors.unprocessable(`${kind} operation failed to decode from`);
    }
    // A missing value means JSON null to the Go library.
    if ((kind === 'add' || kind === 'replace' || kind === 'test') && !('value' in op)) op.value = null;
    if (kind === 'copy') {
      const copied = valueAt(doc, op.from as string);
      copiedBytes += copied === undefined ? 0 : JSON.stringify(copied).length;
      if (copiedBytes > accumulatedCopySizeLimit) {
        throw patchErrors.unprocessable(`Unable to complete the copy, the accumulated size increase of copy is ${copiedBytes}, exceeding the limit ${accumulatedCopySizeLimit}`);
      }
    }
    try {
      doc = jsonpatch.applyOperation(doc, op as unknown as Operation, true, true, true, index).newDocument;
    } catch (e) {
      throw patchErrors.unprocessable(failureMessage(doc, op as { op: string; path: string; from?: string }, e));
    }
    if (kind !== 'remove' && kind !== 'test' && insertedTooDeep(doc, op.path, kind === 'move' ? op.from as string : undefined, work)) {
      throw patchErrors.tooDeep();
    }
  }
  if (!isJsonObject(doc)) {
    throw patchErrors.undecodable(JSON.stringify(doc),
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeName(doc)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  return doc as KubeObject;
}

/** evanphx/json-patch's wording for why `op` did not apply to `doc`. */
function failureMessage(doc: unknown, op: { op: string; path: string; from?: string }, cause: unknown): string {
  const name = cause instanceof jsonpatch.JsonPatchError ? cause.name : '';
  const parentMissing = (path: string) => !isContainer(valueAt(doc, parentPointer(path)));
  switch (op.op) {
    case 'test':
      if (name !== 'TEST_OPERATION_FAILED' && parentMissing(op.path)) {
        return `test operation does not apply: is missing path: ${op.path}: missing value`;
      }
      return `testing value ${op.path} failed: test failed`;
    case 'add':
      if (parentMissing(op.path)) return `add operation does not apply: doc is missing path: "${op.path}": missing value`;
      return `error in add for path: '${op.path}': Unable to access invalid index: ${lastToken(op.path)}: invalid index referenced`;
    case 'remove':
      if (parentMissing(op.path)) return `remove operation does not apply: doc is missing path: "${op.path}": missing value`;
      return `error in remove for path: '${op.path}': unable to remove nonexistent key: ${lastToken(op.path)}: missing value`;
    case 'replace':
      if (parentMissing(op.path)) return `replace operation does not apply: doc is missing path: ${op.path}: missing value`;
      return `replace operation does not apply: doc is missing key: ${op.path}: missing value`;
    default: // move, copy
      if (name === 'OPERATION_FROM_UNRESOLVABLE' || valueAt(doc, op.from ?? '') === undefined) {
        return `${op.op} operation does not apply: doc is missing from path: ${op.from ?? ''}: missing value`;
      }
      return `${op.op} operation does not apply: doc is missing destination path: ${op.path}: missing value`;
  }
}

function parentPointer(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/')));
}

function lastToken(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Whether what an operation put at `path` nests the document deeper than MAX_NESTING_DEPTH.
 * The rest of the document was within it before the operation, so only the inserted value is
 * walked, and a move to a path no deeper than its source is not walked at all. Walks for moves
 * are also counted against a budget: moving one large subtree ever deeper, 10,000 times over,
 * would otherwise walk it 10,000 times.
 */
function insertedTooDeep(doc: unknown, path: string, from: string | undefined, work: { nodes: number }): boolean {
  const depthOfPath = (pointer: string) => (pointer === '' ? 0 : pointer.split('/').length - 1);
  const above = depthOfPath(path);
  if (from !== undefined && above <= depthOfPath(from)) return false;
  if (valueTooDeep(valueAt(doc, path), MAX_NESTING_DEPTH - above, from === undefined ? undefined : work)) return true;
  if (work.nodes > maxMoveWalkNodes) {
    throw patchErrors.unprocessable(`the patch moves more than ${maxMoveWalkNodes} values deeper into the object`);
  }
  return false;
}

/** How many objects and arrays the depth checks of a patch's moves may visit in all. */
const maxMoveWalkNodes = 1_000_000;

function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  try {
    return jsonpatch.getValueByPointer(doc, pointer) as unknown;
  } catch {
    return undefined;
  }
}

function isContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
