// The spec/status split that workload strategies share (registry/apps/deployment/strategy.go
// and friends): create clears status and starts generation at 1; a main-resource update keeps
// the stored status and bumps generation when the spec changed; a status update keeps the
// stored spec (and, for some kinds, labels).
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../api/meta.js';

export function clearStatusAndStartGeneration(obj: KubeObject): void {
  obj['status'] = {};
  obj.metadata = { ...obj.metadata, generation: 1 };
}

/**
 * The same for kinds whose Go status has counts without omitempty: a cleared status
 * serialises with those counts at 0 (and the schema requires them).
 */
export function clearStatusTo(zero: Readonly<Record<string, number>>): (obj: KubeObject) => void {
  return (obj) => {
    obj['status'] = { ...zero };
    obj.metadata = { ...obj.metadata, generation: 1 };
  };
}

/** Keeps old status; bumps generation when spec (or any of `alsoCompare`) changed. */
export function keepStatusAndBumpGeneration(obj: KubeObject, old: KubeObject,
  alsoCompare: (o: KubeObject) => unknown = () => undefined): void {
  if (old['status'] === undefined) delete obj['status'];
  else obj['status'] = structuredClone(old['status']);
  const generation = old.metadata?.generation ?? 1;
  const changed = !isDeepStrictEqual(obj['spec'], old['spec']) || !isDeepStrictEqual(alsoCompare(obj), alsoCompare(old));
  obj.metadata = { ...obj.metadata, generation: changed ? generation + 1 : generation };
}

/** The status subresource: everything but status (and metadata) comes from the stored object. */
export function keepSpec(obj: KubeObject, old: KubeObject, opts: { keepLabels?: boolean } = {}): void {
  if (old['spec'] === undefined) delete obj['spec'];
  else obj['spec'] = structuredClone(old['spec']);
  if (opts.keepLabels) {
    const meta = { ...obj.metadata };
    if (old.metadata?.labels === undefined) delete meta.labels;
    else meta.labels = { ...old.metadata.labels };
    obj.metadata = meta;
  }
}

/** Keeps generation as stored on status updates; clients may not move it. */
export function keepGeneration(obj: KubeObject, old: KubeObject): void {
  const meta = { ...obj.metadata };
  if (old.metadata?.generation === undefined) delete meta.generation;
  else meta.generation = old.metadata.generation;
  obj.metadata = meta;
}
