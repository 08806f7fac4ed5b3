// The scheduler's view of the cluster: nodes, and pods per node including "assumed"
// pods — placed by this scheduler but not yet seen bound through the informer. An
// assumed pod whose binding finished but which never shows up expires after a TTL.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo, podIdentity, type ImageStateSummary } from './framework/types.js';

interface PodState {
  pod: Pod;
  /** Set once binding finished: the assumed pod expires if not confirmed by then. */
  deadlineMs: number | undefined;
  bindingFinished: boolean;
}

export interface SchedulerCacheOptions {
  clock?: () => number;
  /** How long an assumed, bound pod may stay unconfirmed; 0 disables expiry. */
  assumedPodTtlMs?: number;
}

export class SchedulerCache {
  readonly #clock: () => number;
  readonly #ttlMs: number;
  #nodes = new Map<string, NodeInfo>();
  #podStates = new Map<string, PodState>();
  #assumed = new Set<string>();

  constructor(opts: SchedulerCacheOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#ttlMs = opts.assumedPodTtlMs ?? 15 * 60_000;
  }

  #nodeInfo(name: string): NodeInfo {
    let info = this.#nodes.get(name);
    // Pods may arrive before their node; keep them on a placeholder.
    if (!info) this.#nodes.set(name, (info = new NodeInfo()));
    return info;
  }

  addNode(node: Node): void {
    this.#nodeInfo(node.metadata?.name ?? '').setNode(node);
  }

  updateNode(_old: Node | undefined, node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    // Its pods stay until deleted; the node itself is gone.
    if (info.pods.length > 0) info.node = undefined;
    else this.#nodes.delete(name);
  }

  #addPodToNode(pod: Pod): void {
    this.#nodeInfo(pod.spec?.nodeName ?? '').addPod(pod);
  }

  #removePodFromNode(pod: Pod): void {
    const name = pod.spec?.nodeName ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    info.removePod(pod);
    if (!info.node && info.pods.length === 0) this.#nodes.delete(name);
  }

  /** The pod (with spec.nodeName set) is placed before the API server confirms it. */
  assumePod(pod: Pod): void {
    const key = podIdentity(pod);
    if (this.#podStates.has(key)) throw new Error(`pod ${key} is in the cache, so can't be assumed`);
    this.#addPodToNode(pod);
    this.#podStates.set(key, { pod, deadlineMs: undefined, bindingFinished: false });
    this.#assumed.add(key);
  }

  /** Binding was sent: start the expiry clock. */
  finishBinding(pod: Pod): void {
    const key = podIdentity(pod);
    const state = this.#podStates.get(key);
    if (!state || !this.#assumed.has(key)) return;
    state.bindingFinished = true;
    if (this.#ttlMs > 0) state.deadlineMs = this.#clock() + this.#ttlMs;
  }

  /** Binding failed: undo the assumption. */
  forgetPod(pod: Pod): void {
    const key = podIdentity(pod);
    const state = this.#podStates.get(key);
    if (!state) return;
    if (!this.#assumed.has(key)) throw new Error(`pod ${key} wasn't assumed so cannot be forgotten`);
    if (state.pod.spec?.nodeName !== pod.spec?.nodeName) throw new Error(`pod ${key} was assumed on ${state.pod.spec?.nodeName} but assigned to ${pod.spec?.nodeName}`);
    this.#removePodFromNode(state.pod);
    this.#podStates.delete(key);
    this.#assumed.delete(key);
  }

  /** A bound pod seen from the informer; confirms an assumed pod (moving it if bound elsewhere). */
  addPod(pod: Pod): void {
    const key = podIdentity(pod);
    const state = this.#podStates.get(key);
    if (state && this.#assumed.has(key)) {
      // Replace the assumed copy with the confirmed one, on whichever node it was bound to.
      this.#removePodFromNode(state.pod);
      this.#addPodToNode(pod);
      this.#assumed.delete(key);
      this.#podStates.set(key, { pod, deadlineMs: undefined, bindingFinished: false });
      return;
    }
    if (state) {
      this.updatePod(state.pod, pod);
      return;
    }
    this.#addPodToNode(pod);
    this.#podStates.set(key, { pod, deadlineMs: undefined, bindingFinished: false });
  }

  updatePod(_old: Pod, pod: Pod): void {
    const key = podIdentity(pod);
    const state = this.#podStates.get(key);
    if (!state || this.#assumed.has(key)) return this.addPod(pod);
    this.#removePodFromNode(state.pod);
    this.#addPodToNode(pod);
    state.pod = pod;
  }

  removePod(pod: Pod): void {
    const key = podIdentity(pod);
    const state = this.#podStates.get(key);
    if (!state) return;
    this.#removePodFromNode(state.pod);
    this.#podStates.delete(key);
    this.#assumed.delete(key);
  }

  isAssumedPod(pod: Pod): boolean {
    return this.#assumed.has(podIdentity(pod));
  }

  /** Drops assumed pods whose binding finished longer than the TTL ago without confirmation. */
  cleanupAssumedPods(): Pod[] {
    const now = this.#clock();
    const expired: Pod[] = [];
    for (const key of [...this.#assumed]) {
      const state = this.#podStates.get(key);
      if (!state || !state.bindingFinished || state.deadlineMs === undefined || now < state.deadlineMs) continue;
      this.#removePodFromNode(state.pod);
      this.#podStates.delete(key);
      this.#assumed.delete(key);
      expired.push(state.pod);
    }
    return expired;
  }

  nodeCount(): number {
    return [...this.#nodes.values()].filter((n) => n.node).length;
  }

  /** Copies of every known node's NodeInfo, with image states counted across nodes. */
  snapshot(): NodeInfo[] {
    const infos = [...this.#nodes.values()].filter((n) => n.node).map((n) => n.clone());
    const numNodes = new Map<string, number>();
    for (const info of infos) {
      for (const name of new Set((info.node!.status?.images ?? []).flatMap((i) => i.names ?? []))) {
        numNodes.set(name, (numNodes.get(name) ?? 0) + 1);
      }
    }
    for (const info of infos) {
      const states = new Map<string, ImageStateSummary>();
      for (const image of info.node!.status?.images ?? []) {
        for (const name of image.names ?? []) states.set(name, { sizeBytes: image.sizeBytes ?? 0, numNodes: numNodes.get(name) ?? 1 });
      }
      info.imageStates = states;
    }
    return infos;
  }
}
