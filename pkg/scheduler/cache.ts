// The scheduler's view of the cluster: nodes, and pods per node including "assumed"
// pods — placed by this scheduler but not yet seen bound through the informer. An
// assumed pod whose binding finished but which never shows up expires after a TTL.
//
// Each cycle schedules against a Snapshot that updateSnapshot brings up to date in place,
// as upstream's cache.UpdateSnapshot: every change stamps the NodeInfo with the cache's next
// generation, and only NodeInfos newer than the snapshot are copied again. A cycle copied the
// whole cluster (1,000 NodeInfos) before; now it copies the node or two that changed.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo, podIdentity, type ImageStateSummary } from './framework/types.js';
import { Snapshot } from './snapshot.js';

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
  /** Stamped on every changed NodeInfo: a snapshot copies those newer than itself. */
  #generation = 0;
  /** Bumped when a node object (its set, labels, images) changes: snapshots then rebuild their lists. */
  #nodesGeneration = 0;
  /** The node touched at each generation after #logBase, oldest first: what a snapshot must copy again. */
  #log: string[] = [];
  #logBase = 0;

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

  #touch(info: NodeInfo, name: string): void {
    info.generation = ++this.#generation;
    this.#log.push(name);
    if (this.#log.length > 2 * this.#nodes.size + 1024) {
      const drop = this.#log.length >> 1;
      this.#log.splice(0, drop);
      this.#logBase += drop;
    }
  }

  /** Names of the nodes changed after generation `since`: from the log, or all when it no longer reaches back. */
  #changedSince(since: number): Iterable<string> {
    if (since < this.#logBase) return [...this.#nodes.keys()];
    return new Set(this.#log.slice(since - this.#logBase));
  }

  addNode(node: Node): void {
    const info = this.#nodeInfo(node.metadata?.name ?? '');
    info.setNode(node);
    this.#touch(info, node.metadata?.name ?? '');
    this.#nodesGeneration++;
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
    this.#touch(info, name);
    this.#nodesGeneration++;
  }

  #addPodToNode(pod: Pod): void {
    const name = pod.spec?.nodeName ?? '';
    const info = this.#nodeInfo(name);
    info.addPod(pod);
    this.#touch(info, name);
  }

  #removePodFromNode(pod: Pod): void {
    const name = pod.spec?.nodeName ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    info.removePod(pod);
    this.#touch(info, name);
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

  /** Fresh copies of every known node's NodeInfo, with image states counted across nodes. */
  snapshot(): NodeInfo[] {
    const infos = [...this.#nodes.values()].filter((n) => n.node).map((n) => n.clone());
    setImageStates(infos);
    return infos;
  }

  /**
   * Brings `snapshot` up to date: NodeInfos changed since it was last updated are copied
   * again, the others are kept. Its NodeInfos must not be changed by the cycle (copy first).
   */
  updateSnapshot(snapshot: Snapshot): void {
    const since = snapshot.generation;
    // A cycle looks at the few nodes that changed, not at all of them.
    for (const name of this.#changedSince(since)) {
      const info = this.#nodes.get(name);
      if (info && info.generation <= since) continue;
      if (!info?.node) {
        snapshot.byName.delete(name);
        continue;
      }
      const copy = info.clone();
      // Image spread only changes with nodes; a pod change keeps what was counted.
      copy.imageStates = snapshot.byName.get(name)?.imageStates ?? copy.imageStates;
      snapshot.set(name, copy);
    }
    if (snapshot.nodesGeneration !== this.#nodesGeneration) {
      for (const name of snapshot.byName.keys()) if (!this.#nodes.get(name)?.node) snapshot.byName.delete(name);
      // The list keeps the cache's order, so the round-robin start of the filter stays fair.
      const list: NodeInfo[] = [];
      for (const [name, info] of this.#nodes) if (info.node) list.push(snapshot.byName.get(name)!);
      setImageStates(list);
      snapshot.replace(list);
    }
    snapshot.generation = this.#generation;
    snapshot.nodesGeneration = this.#nodesGeneration;
  }
}

/** Each node's images with the number of nodes that have them (ImageLocality's spread). */
function setImageStates(infos: readonly NodeInfo[]): void {
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
}
