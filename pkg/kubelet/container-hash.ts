// The container hash (kubecontainer.HashContainer): what the kubelet records on each runtime
// container so a later sync can tell that the pod's spec for it changed (`kubectl set image`)
// and restart it. Like upstream it covers only the container fields a pod may change in place
// (pickFieldsToHash: name and image), so nothing else (defaults added by a newer apiserver,
// resources resized in place) restarts a running container.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../client/lister.js';

/** Where upstream keeps the hash on the runtime container (kuberuntime labels.go). */
export const CONTAINER_HASH_ANNOTATION = 'io.kubernetes.container.hash';

/** FNV-1a (32 bit) over the JSON of the hashed fields, as hex: upstream's algorithm and format. */
export function hashContainer(container: Container | DeepReadonly<Container>): string {
  // Go's json.Marshal writes a map's keys sorted: image before name.
  const bytes = Buffer.from(JSON.stringify({ image: container.image ?? '', name: container.name }));
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash.toString(16);
}

/**
 * containerChanged: the running instance was made from a different spec. An instance without a
 * recorded hash (started by a kubelet from before hashes were kept) is taken as unchanged, so
 * that upgrading the kubelet does not restart every container on the node.
 */
export function containerChanged(
  container: Container | DeepReadonly<Container>, annotations: Readonly<Record<string, string>>,
): boolean {
  const recorded = annotations[CONTAINER_HASH_ANNOTATION];
  return recorded !== undefined && recorded !== hashContainer(container);
}
