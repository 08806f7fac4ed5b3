// Runs one profile's plugins at each extension point, and schedulePod: PreFilter → Filter
// per node → (PostFilter) → PreScore → Score × weight → pick the best node.
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code, CycleState, MAX_NODE_SCORE, SUCCESS, isRejected, isSuccess, newStatus, statusMessage,
  type NodeInfo, type NodeScore, type PostFilterResult, type SchedulerPlugin, type Status,
} from './types.js';

export interface WeightedPlugin {
  plugin: SchedulerPlugin;
  weight: number;
}

export interface Diagnosis {
  nodeToStatus: Map<string, Status>;
  unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

export interface FitError {
  pod: Pod;
  numAllNodes: number;
  diagnosis: Diagnosis;
}

/** The FailedScheduling message, byte for byte as schedule_one.go's FitError.Error(). */
export function fitErrorMessage(e: FitError): string {
  let msg = `0/${e.numAllNodes} nodes are available:`;
  if (e.diagnosis.preFilterMsg !== '') {
    msg += ` ${e.diagnosis.preFilterMsg}.`;
  } else {
    const histogram = new Map<string, number>();
    for (const status of e.diagnosis.nodeToStatus.values()) {
      for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    }
    // Go's sort.Strings: byte order of "<count> <reason>", so "10 x" sorts before "2 y".
    const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort(compareBytes);
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (e.diagnosis.postFilterMsg !== '') msg += ` ${e.diagnosis.postFilterMsg}.`;
  return msg;
}

function invalidScore(plugin: string, score: number): Error {
  return new Error(`plugin "${plugin}" returns an invalid score ${score}, it should in the range of [0, 100] after normalizing`);
}

function compareBytes(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

export type ScheduleResult =
  | { ok: true; suggestedHost: string; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; fitError: FitError };

export interface FrameworkOptions {
  /** [0, 1): breaks ties between equally scored nodes. */
  random?: () => number;
  /** 0 means adaptive, as upstream's default percentageOfNodesToScore. */
  percentageOfNodesToScore?: number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes to look for before scoring: all of a small cluster, a shrinking share of a big one. */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage === 0) {
    percentage = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  }
  if (percentage >= 100) return numAllNodes;
  return Math.max(Math.trunc((numAllNodes * percentage) / 100), MIN_FEASIBLE_NODES_TO_FIND);
}

export class Framework {
  readonly plugins: readonly WeightedPlugin[];
  readonly #random: () => number;
  readonly #percentageOfNodesToScore: number;
  /** Where the next cycle starts filtering, so big clusters are examined round-robin. */
  #nextStartNodeIndex = 0;

  /** The plugins of each extension point, in profile order; Filter runs per node, so they are listed once. */
  readonly #byPoint = new Map<keyof SchedulerPlugin, SchedulerPlugin[]>();

  constructor(plugins: readonly WeightedPlugin[], opts: FrameworkOptions = {}) {
    this.plugins = plugins;
    this.#random = opts.random ?? Math.random;
    this.#percentageOfNodesToScore = opts.percentageOfNodesToScore ?? 0;
  }

  #at<K extends keyof SchedulerPlugin>(point: K): SchedulerPlugin[] {
    let list = this.#byPoint.get(point);
    if (!list) this.#byPoint.set(point, (list = this.plugins.map((w) => w.plugin).filter((p) => p[point] !== undefined)));
    return list;
  }

  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    state.nodes = nodes;
    for (const p of this.#at('preFilter')) {
      const s = p.preFilter!(state, pod, nodes);
      if (s.code === Code.Skip) {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** Stops at the first plugin that rejects the node, as upstream does. */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const skip = state.skipFilterPlugins;
    for (const p of this.#at('filter')) {
      if (skip.size > 0 && skip.has(p.name)) continue;
      const s = p.filter!(state, pod, nodeInfo);
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  runPreFilterAddPod(state: CycleState, pod: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    for (const p of this.#at('addPod')) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.addPod!(state, pod, podToAdd, nodeInfo);
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  runPreFilterRemovePod(state: CycleState, pod: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    for (const p of this.#at('removePod')) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.removePod!(state, pod, podToRemove, nodeInfo);
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** The first PostFilter that doesn't say Unschedulable wins, as upstream. */
  runPostFilterPlugins(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>): { result?: PostFilterResult; status: Status } {
    const reasons: string[] = [];
    for (const p of this.#at('postFilter')) {
      const out = p.postFilter!(state, pod, statuses);
      if (out.status.code === Code.Success) return out;
      if (out.status.code !== Code.Unschedulable) return { status: { ...out.status, plugin: p.name } };
      reasons.push(...out.status.reasons);
    }
    return { status: newStatus(Code.Unschedulable, ...reasons) };
  }

  /** Weighted, normalized total per node. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): NodeScore[] {
    const totals = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const { plugin, weight } of this.plugins) {
      if (!plugin.score || state.skipScorePlugins.has(plugin.name)) continue;
      if (!plugin.normalizeScore) {
        // Nothing rescales these scores: added up straight, without a list per plugin.
        for (let i = 0; i < nodes.length; i++) {
          const score = plugin.score(state, pod, nodes[i]!);
          if (score > MAX_NODE_SCORE || score < 0) throw invalidScore(plugin.name, score);
          totals[i]!.score += score * weight;
        }
        continue;
      }
      const scores = nodes.map((n) => ({ name: n.name, score: plugin.score!(state, pod, n) }));
      plugin.normalizeScore?.(state, pod, scores);
      scores.forEach((s, i) => {
        if (s.score > MAX_NODE_SCORE || s.score < 0) throw invalidScore(plugin.name, s.score);
        totals[i]!.score += s.score * weight;
      });
    }
    return totals;
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const p of this.#at('preScore')) {
      const s = p.preScore!(state, pod, nodes);
      if (s.code === Code.Skip) {
        state.skipScorePlugins.add(p.name);
        continue;
      }
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  runReservePlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.#at('reserve')) {
      const s = p.reserve!(state, pod, nodeName);
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  runUnreservePlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of [...this.#at('unreserve')].reverse()) p.unreserve!(state, pod, nodeName);
  }

  /** The first binder that doesn't Skip binds. */
  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.#at('bind')) {
      const s = await p.bind!(state, pod, nodeName);
      if (s.code === Code.Skip) continue;
      return isSuccess(s) ? s : { ...s, plugin: p.name };
    }
    return newStatus(Code.Error, 'no bind plugin bound the pod');
  }

  hasPostFilterPlugins(): boolean {
    return this.#at('postFilter').length > 0;
  }

  /**
   * Filters and scores the snapshot for one pod. Does not run PostFilter: on failure the
   * caller runs it (preemption) and records its message in `fitError.diagnosis.postFilterMsg`.
   */
  schedulePod(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): ScheduleResult {
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
    const fitError = (): ScheduleResult => ({ ok: false, fitError: { pod, numAllNodes: nodes.length, diagnosis } });
    if (nodes.length === 0) return fitError();

    const pre = this.runPreFilterPlugins(state, pod, nodes);
    if (!isSuccess(pre)) {
      if (!isRejected(pre)) throw new Error(`running PreFilter plugin "${pre.plugin}": ${statusMessage(pre)}`);
      // Every node fails the same way; the message says it once.
      for (const n of nodes) diagnosis.nodeToStatus.set(n.name, pre);
      diagnosis.preFilterMsg = statusMessage(pre);
      if (pre.plugin) diagnosis.unschedulablePlugins.add(pre.plugin);
      return fitError();
    }

    const wanted = numFeasibleNodesToFind(nodes.length, this.#percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    let processed = 0;
    const start = this.#nextStartNodeIndex % nodes.length;
    for (let i = 0; i < nodes.length && feasible.length < wanted; i++) {
      const nodeInfo = nodes[(start + i) % nodes.length]!;
      processed++;
      const s = this.runFilterPlugins(state, pod, nodeInfo);
      if (isSuccess(s)) {
        feasible.push(nodeInfo);
        continue;
      }
      if (!isRejected(s)) throw new Error(`running Filter plugin "${s.plugin}": ${statusMessage(s)}`);
      diagnosis.nodeToStatus.set(nodeInfo.name, s);
      if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
    }
    this.#nextStartNodeIndex = (start + processed) % nodes.length;
    if (feasible.length === 0) return fitError();

    const evaluatedNodes = processed;
    if (feasible.length === 1) {
      return { ok: true, suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    }
    const preScore = this.runPreScorePlugins(state, pod, feasible);
    if (!isSuccess(preScore)) throw new Error(`running PreScore plugin "${preScore.plugin}": ${statusMessage(preScore)}`);
    const scores = this.runScorePlugins(state, pod, feasible);
    return { ok: true, suggestedHost: this.selectHost(scores), evaluatedNodes, feasibleNodes: feasible.length };
  }

  /** The highest total; ties broken uniformly at random by reservoir sampling, as upstream. */
  selectHost(scores: readonly NodeScore[]): string {
    let best: NodeScore | undefined;
    let ties = 0;
    for (const s of scores) {
      if (!best || s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (Math.floor(this.#random() * ties) === 0) best = s;
      }
    }
    if (!best) throw new Error('empty priorityList');
    return best.name;
  }
}
