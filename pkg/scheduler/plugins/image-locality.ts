// ImageLocality: favours nodes that already have the pod's images, weighted by image
// size and discounted when the image is on many nodes (so pods don't pile up there).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type NodeInfo, type SchedulerPlugin } from '../framework/types.js';

export const IMAGE_LOCALITY = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** Adds ":latest" to untagged names, as the node status lists them. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export function sumImageScores(nodeInfo: NodeInfo, pod: Pod, totalNumNodes: number): number {
  let sum = 0;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const state = nodeInfo.imageStates.get(normalizedImageName(c.image ?? ''));
    if (state) sum += Math.trunc(state.sizeBytes * (state.numNodes / totalNumNodes));
  }
  return sum;
}

export function imageLocalityScore(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(Math.max(sumScores, MIN_THRESHOLD), maxThreshold);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

export function imageLocality(): SchedulerPlugin {
  return {
    name: IMAGE_LOCALITY,
    score(state, pod, nodeInfo) {
      // Spread is measured against every node of the snapshot, not only the feasible ones.
      const total = state.nodes.length;
      const n = (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.containers?.length ?? 0);
      return imageLocalityScore(sumImageScores(nodeInfo, pod, Math.max(total, 1)), n);
    },
  };
}
