// ImageLocality: favours nodes that already have the pod's images, weighted by image
// size and discounted when the image is on many nodes (so pods don't pile up there).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, SUCCESS, type NodeInfo, type SchedulerPlugin } from '../framework/types.js';

export const IMAGE_LOCALITY = 'ImageLocality';
const PRE_SCORE_KEY = `PreScore${IMAGE_LOCALITY}`;
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** Adds ":latest" to untagged names, as the node status lists them. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export function sumImageScores(nodeInfo: NodeInfo, pod: Pod, totalNumNodes: number): number {
  return sumImageScoresOf(nodeInfo, podImageNames(pod), totalNumNodes);
}

/** Every container's image (init containers first), normalized as the node status lists them. */
export function podImageNames(pod: Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(c.image ?? ''));
}

function sumImageScoresOf(nodeInfo: NodeInfo, images: readonly string[], totalNumNodes: number): number {
  if (nodeInfo.imageStates.size === 0) return 0;
  let sum = 0;
  for (const image of images) {
    const state = nodeInfo.imageStates.get(image);
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
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, podImageNames(pod));
      return SUCCESS;
    },
    score(state, pod, nodeInfo) {
      // Spread is measured against every node of the snapshot, not only the feasible ones.
      const total = state.nodes.length;
      const images = state.read<string[]>(PRE_SCORE_KEY) ?? podImageNames(pod);
      return imageLocalityScore(sumImageScoresOf(nodeInfo, images, Math.max(total, 1)), images.length);
    },
  };
}
