// application/strategic-merge-patch+json: RFC 7386 plus per-field list strategies from the
// schema and the `$` directives kubectl sends. Follows apimachinery's
// util/strategicpatch StrategicMergeMapPatch (MergeParallelList and IgnoreUnmatchedNulls
// on), including its element ordering rules, so results match Kubernetes list for list.
//
// Deliberate differences, all in cases kubectl never produces: upstream copies a patch
// value verbatim when the original lacks the field (directives and nulls included, later
// dropped by typed decoding); here such values are merged into an empty value, which
// gives the same typed result. `$deleteFromPrimitiveList` of a missing list is a no-op
// (upstream stores the deletion list itself).
import type { KubeObject } from '../../api/meta.js';
import { errors } from '../../api/errors.js';
import { goFormat, isJsonObject, jsonTypeName, patchErrors } from './patch-errors.js';
import { fieldNode, listMeta, rootNode } from './patch-schema.js';
import type { ListMeta, PatchSchema, SchemaNode } from './patch-schema.js';

type JsonMap = Record<string, unknown>;
type ElementKind = 'map' | 'scalar';

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';

/** mergepatch's errors, as handlers/patch.go interpretStrategicMergePatchError maps them. */
const smpErrors = {
  badPatchFormatForPrimitiveList: () => errors.badRequest('invalid patch format of primitive list'),
  badPatchFormatForRetainKeys: () => errors.badRequest('invalid patch format of retainKeys'),
  badPatchFormatForSetElementOrderList: () => errors.badRequest('invalid patch format of setElementOrder list'),
  noListOfLists: () => patchErrors.unprocessable('lists of lists are not supported'),
  noMergeKey: (m: JsonMap, key: string) =>
    patchErrors.unknown(`map: ${goFormat(m)} does not contain declared merge key: ${key}`),
  badPatchType: (directive: unknown, m: JsonMap) =>
    patchErrors.unknown(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(m)}`),
  badArgType: (expected: string, actual: unknown) =>
    patchErrors.unknown(`expected a ${expected}, but received a ${goTypeName(actual)}`),
};

export function applyStrategicMergePatch(original: KubeObject, patch: unknown, schema: PatchSchema): KubeObject {
  // JSON null decodes into a nil Go map: nothing to merge.
  if (patch === null) return structuredClone(original);
  if (!isJsonObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type map[string]interface {}`);
  }
  // Both are cloned once so the merge below may work in place, as upstream does.
  const merged = mergeMap(schema, structuredClone(original) as JsonMap, structuredClone(patch), rootNode(schema));
  return merged as KubeObject;
}

function mergeMap(s: PatchSchema, original: JsonMap | undefined, patch: JsonMap, node: SchemaNode | undefined): JsonMap {
  if (directiveMarker in patch) {
    const directive = patch[directiveMarker];
    if (directive === 'replace') {
      delete patch[directiveMarker];
      return mergeMap(s, undefined, patch, node);
    }
    if (directive === 'delete') return {};
    throw smpErrors.badPatchType(directive, patch);
  }
  const result = original ?? {};
  applyRetainKeys(result, patch);
  const handled = mergeOrderedLists(s, result, patch, node);

  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (handled.has(key)) continue;
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      deletions.push([extractKey(key, deleteFromPrimitiveListPrefix), value]);
      continue;
    }
    mergeField(s, result, key, value, fieldNode(s, node, key));
  }
  // Removals run after additions, as upstream's ordered-list pass runs before them.
  for (const [key, value] of deletions) deleteFromPrimitiveList(result, key, value);
  return result;
}

function mergeField(s: PatchSchema, result: JsonMap, key: string, value: unknown, field: SchemaNode | undefined): void {
  if (value === null) {
    delete result[key];
    return;
  }
  const current = result[key];
  if (isJsonObject(current) && isJsonObject(value)) {
    result[key] = listMeta(s, field).strategies.includes('replace') ? fresh(s, value, field) : mergeMap(s, current, value, field);
  } else if (Array.isArray(current) && Array.isArray(value)) {
    result[key] = mergeList(s, current, value, field);
  } else {
    result[key] = fresh(s, value, field);
  }
}

/** A patch value for a field the original lacks (or holds with another type). */
function fresh(s: PatchSchema, value: unknown, field: SchemaNode | undefined): unknown {
  if (isJsonObject(value)) return mergeMap(s, undefined, value, field);
  if (Array.isArray(value)) return mergeList(s, [], value, field);
  return value;
}

function mergeList(s: PatchSchema, original: unknown[], patch: unknown[], field: SchemaNode | undefined): unknown[] {
  const meta = listMeta(s, field);
  if (meta.strategies.includes('merge')) return mergeSlice(s, original, patch, meta);
  // Lists without a merge strategy are replaced wholesale.
  return patch.map((v) => (isJsonObject(v) ? mergeMap(s, undefined, v, meta.items) : v));
}

function mergeSlice(s: PatchSchema, original: unknown[], patch: unknown[], meta: ListMeta): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  if (kind === 'scalar') {
    const merged = dedupe([...original, ...patch]);
    const [patchItems, serverOnly] = partitionPrimitives(merged, patch);
    return normalizeElementOrder(patchItems, serverOnly, patch, original, '', kind);
  }
  const { mergeKey } = meta;
  if (!mergeKey) throw patchErrors.unknown('cannot merge lists without merge key for type struct');
  const [base, items] = applySpecialElements(s, original, patch as JsonMap[], mergeKey, meta.items);
  const merged = [...base];
  for (const item of items) {
    if (!(mergeKey in item)) throw smpErrors.noMergeKey(item, mergeKey);
    const at = findByMergeKey(merged, mergeKey, item[mergeKey]);
    if (at >= 0) merged[at] = mergeMap(s, merged[at] as JsonMap, item, meta.items);
    else merged.push(mergeMap(s, undefined, item, meta.items));
  }
  const [patchItems, serverOnly] = partitionMaps(merged, items, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, items, base, mergeKey, kind);
}

/**
 * Applies the `$patch` elements of a keyed list: `delete` removes every element with that
 * key, `replace` makes the list exactly the patch's other elements. Returns the list to
 * merge into and the remaining patch elements.
 */
function applySpecialElements(
  s: PatchSchema, original: unknown[], patch: JsonMap[], mergeKey: string, items: SchemaNode | undefined,
): [unknown[], JsonMap[]] {
  let base = original;
  const plain: JsonMap[] = [];
  let replace = false;
  for (const element of patch) {
    if (!(directiveMarker in element)) {
      plain.push(element);
      continue;
    }
    const directive = element[directiveMarker];
    if (directive === 'delete') {
      if (!(mergeKey in element)) throw smpErrors.noMergeKey(element, mergeKey);
      const value = element[mergeKey];
      base = base.filter((v) => {
        if (!isJsonObject(v)) throw patchErrors.unknown(`value for key ${base.indexOf(v)} is not a map.`);
        return !(mergeKey in v && v[mergeKey] === value);
      });
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw patchErrors.unknown('merging lists cannot yet be specified in the patch');
    } else {
      throw smpErrors.badPatchType(directive, element);
    }
  }
  if (replace) return [plain.map((e) => mergeMap(s, undefined, e, items)), []];
  return [base, plain];
}

function deleteFromPrimitiveList(result: JsonMap, key: string, toDelete: unknown): void {
  if (toDelete === null) {
    delete result[key];
    return;
  }
  if (!Array.isArray(toDelete)) throw smpErrors.badArgType('[]interface {}', toDelete);
  const current = result[key];
  if (!Array.isArray(current)) return;
  result[key] = current.filter((v) => !toDelete.includes(v));
}

/** `$retainKeys`: drop every key of the original the list does not name. */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!(retainKeysDirective in patch)) return;
  const list = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(list)) throw smpErrors.badPatchFormatForRetainKeys();
  const retained = new Set<unknown>(list);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(deleteFromPrimitiveListPrefix) || key.startsWith(setElementOrderPrefix)) continue;
    // A patch may not set a field its own $retainKeys would drop.
    if (!retained.has(key)) throw smpErrors.badPatchFormatForRetainKeys();
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

/**
 * `$setElementOrder/<list>`: merges the list (if patched) and then orders it as the
 * directive says; server-only elements keep their place relative to their neighbours.
 * Returns the patch keys it consumed.
 */
function mergeOrderedLists(s: PatchSchema, original: JsonMap, patch: JsonMap, node: SchemaNode | undefined): Set<string> {
  const handled = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    handled.add(key);
    if (!Array.isArray(order)) throw smpErrors.badArgType('[]interface {}', order);
    const name = extractKey(key, setElementOrderPrefix);
    const foundOriginal = name in original;
    const foundPatch = name in patch;
    const originalList = original[name];
    const patchList = patch[name];
    if (foundOriginal && !Array.isArray(originalList)) throw smpErrors.badArgType('[]interface {}', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw smpErrors.badArgType('[]interface {}', patchList);
    const originalItems = (originalList ?? []) as unknown[];
    const patchItems = (patchList ?? []) as unknown[];
    const field = fieldNode(s, node, name);
    const { mergeKey } = listMeta(s, field);
    const empty = originalItems.length === 0 && patchItems.length === 0;
    const kind = empty ? 'scalar' : elementKind(originalItems, patchItems);
    // kubectl only orders merge lists; a keyless list of maps cannot be matched to the order.
    const orderable = !empty && !(kind === 'map' && !mergeKey);
    if (orderable) validatePatchWithSetOrderList(patchItems, order, mergeKey);

    let merged: unknown[];
    if (foundOriginal && foundPatch) merged = mergeList(s, originalItems, patchItems, field);
    else if (foundPatch) merged = mergeList(s, [], patchItems, field);
    else if (foundOriginal) merged = originalItems;
    else continue;
    if (foundPatch) handled.add(name);

    if (!orderable) {
      original[name] = merged;
      continue;
    }
    const [inOrder, serverOnly] = mergeKey ? partitionMaps(merged, order, mergeKey) : partitionPrimitives(merged, order);
    original[name] = normalizeElementOrder(inOrder, serverOnly, order, originalItems, mergeKey, kind);
  }
  return handled;
}

/** The elements the patch names must appear in the same relative order in $setElementOrder. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const kept = mergeKey ? patchList.filter((v) => {
    if (!isJsonObject(v)) throw smpErrors.badArgType('map[string]interface {}', v);
    return v[directiveMarker] !== 'delete';
  }) : patchList;
  let p = 0;
  let o = 0;
  while (p < kept.length && o < order.length) {
    const item = kept[p];
    if (isJsonObject(item) && directiveMarker in item) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < kept.length && o >= order.length) {
    throw patchErrors.unknown(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goFormat(order)}\n`);
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isJsonObject(left)) throw smpErrors.badArgType('map[string]interface {}', left);
  if (!isJsonObject(right)) throw smpErrors.badArgType('map[string]interface {}', right);
  if (!(mergeKey in left)) throw smpErrors.noMergeKey(left, mergeKey);
  if (!(mergeKey in right)) throw smpErrors.noMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === deleteFromPrimitiveListPrefix
      ? smpErrors.badPatchFormatForPrimitiveList()
      : smpErrors.badPatchFormatForSetElementOrderList();
  }
  return key.slice(slash + 1);
}

/** All elements must share one type, and lists of lists are not supported. */
function elementKind(...lists: unknown[][]): ElementKind {
  let first: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const type = v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'map' : typeof v;
      if (first === undefined) {
        if (type === 'list') throw smpErrors.noListOfLists();
        first = type;
      } else if (type !== first) {
        throw patchErrors.unknown(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  return first === 'map' ? 'map' : 'scalar';
}

function dedupe(values: unknown[]): unknown[] {
  return values.filter((v, i) => values.indexOf(v) === i);
}

function findByMergeKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (const [i, v] of list.entries()) {
    if (!isJsonObject(v)) throw patchErrors.unknown(`value for key ${i} is not a map.`);
    if (mergeKey in v && v[mergeKey] === value) return i;
  }
  return -1;
}

function partitionPrimitives(values: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const inBy = new Set(by);
  return [values.filter((v) => inBy.has(v)), values.filter((v) => !inBy.has(v))];
}

function partitionMaps(values: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of values) {
    if (!isJsonObject(v)) throw smpErrors.badArgType('map[string]interface {}', v);
    if (!(mergeKey in v)) throw smpErrors.noMergeKey(v, mergeKey);
    (findByMergeKey(by, mergeKey, v[mergeKey]) >= 0 ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

/**
 * Sorts the patch's elements by the patch (or $setElementOrder) order and the server-only
 * elements by their order in the live list, then interleaves them: a server-only element
 * goes before a patch element only when the live list had it before that element.
 */
function normalizeElementOrder(
  patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[],
  mergeKey: string, kind: ElementKind,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  if (kind === 'map') {
    for (const v of [...items, ...order]) {
      if (!isJsonObject(v)) throw smpErrors.badArgType('map[string]interface {}', v);
      if (!(mergeKey in v)) throw smpErrors.noMergeKey(v, mergeKey);
    }
  }
  const ranked = items.map((item, at) => ({ item, at, rank: indexIn(order, item, mergeKey, kind) }));
  ranked.sort((a, b) => (a.rank >= 0 && b.rank >= 0 ? a.rank - b.rank : 0) || a.at - b.at);
  return ranked.map((r) => r.item);
}

function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: ElementKind): number {
  const valueOf = (v: unknown) => (kind === 'map' ? (isJsonObject(v) ? v[mergeKey] : undefined) : v);
  const wanted = valueOf(item);
  return list.findIndex((v) => valueOf(v) === wanted);
}

function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '%!s(<nil>)';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'object') return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}
