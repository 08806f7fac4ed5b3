// The scheduling framework's data: Status, CycleState, the plugin seam and NodeInfo
// (a node plus everything the scheduler assumes runs on it).
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { integerValue, milliValue } from '../../api/quantity.js';

export const Code = {
  Success: 'Success',
  Error: 'Error',
  Unschedulable: 'Unschedulable',
  UnschedulableAndUnresolvable: 'UnschedulableAndUnresolvable',
  Wait: 'Wait',
  Skip: 'Skip',
  Pending: 'Pending',
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export interface Status {
  code: Code;
  reasons: string[];
  /** The plugin that failed; set by the runtime so FitError can name the culprits. */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: Code.Success, reasons: [] }) as Status;

export function newStatus(code: Code, ...reasons: string[]): Status {
  return { code, reasons };
}

export function isSuccess(s: Status | undefined): boolean {
  return s === undefined || s.code === Code.Success;
}

export function isRejected(s: Status): boolean {
  return s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable || s.code === Code.Pending;
}

/** Status.Message(): the reasons joined by ", ". */
export function statusMessage(s: Status): string {
  return s.reasons.join(', ');
}

/** Per-cycle scratch space: PreFilter computes once, Filter and Score read per node. */
export class CycleState {
  readonly #data = new Map<string, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run in this cycle. */
  skipFilterPlugins = new Set<string>();
  skipScorePlugins = new Set<string>();
  /** Every node of the snapshot being scheduled against (PreScore sees only the feasible ones). */
  nodes: readonly NodeInfo[] = [];

  read<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  /** Preemption simulates removals on a copy; values must be cloned by their plugins' addPod/removePod. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.#data) c.write(k, v);
    c.skipFilterPlugins = new Set(this.skipFilterPlugins);
    c.skipScorePlugins = new Set(this.skipScorePlugins);
    c.nodes = this.nodes;
    return c;
  }
}

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface NodeScore {
  name: string;
  score: number;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
  victims?: Pod[];
}

/**
 * A plugin implements only the extension points it needs. Expected outcomes are Status
 * values; only bugs throw. `addPod`/`removePod` are PreFilterExtensions: they update the
 * plugin's CycleState when preemption adds or removes a pod on a node.
 */
export interface SchedulerPlugin {
  readonly name: string;
  preFilter?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
  addPod?(state: CycleState, pod: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  removePod?(state: CycleState, pod: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
  filter?(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  postFilter?(state: CycleState, pod: Pod, filteredNodeStatuses: ReadonlyMap<string, Status>): { result?: PostFilterResult; status: Status };
  preScore?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
  score?(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
  reserve?(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve?(state: CycleState, pod: Pod, nodeName: string): void;
  bind?(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

/** Resources in scheduler units: cpu in millicores, memory and storage in bytes. */
export interface Resource {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources (nvidia.com/gpu, hugepages-2Mi, ...), in integer units. */
  scalar: Record<string, number>;
}

export function emptyResource(): Resource {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: {} };
}

/** Requests defaulted by the scheduler for pods that set none, so empty pods still spread. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type ResourceList = Record<string, string | number> | undefined;

export function resourceFromList(list: ResourceList): Resource {
  const r = emptyResource();
  for (const [name, q] of Object.entries(list ?? {})) {
    if (name === 'cpu') r.milliCpu = milliValue(q);
    else if (name === 'memory') r.memory = integerValue(q);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = integerValue(q);
    else if (name === 'pods') r.allowedPodNumber = integerValue(q);
    else if (name.includes('/') || name.startsWith('hugepages-')) r.scalar[name] = integerValue(q);
  }
  return r;
}

function combine(a: Resource, b: Resource, op: (x: number, y: number) => number): Resource {
  const scalar: Record<string, number> = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = op(scalar[k] ?? 0, v);
  for (const k of Object.keys(a.scalar)) if (!(k in b.scalar)) scalar[k] = op(a.scalar[k] ?? 0, 0);
  return {
    milliCpu: op(a.milliCpu, b.milliCpu),
    memory: op(a.memory, b.memory),
    ephemeralStorage: op(a.ephemeralStorage, b.ephemeralStorage),
    allowedPodNumber: op(a.allowedPodNumber, b.allowedPodNumber),
    scalar,
  };
}

export const addResource = (a: Resource, b: Resource): Resource => combine(a, b, (x, y) => x + y);
export const subtractResource = (a: Resource, b: Resource): Resource => combine(a, b, (x, y) => x - y);
const maxResource = (a: Resource, b: Resource): Resource => combine(a, b, Math.max);

/**
 * The pod's effective request, as resourcehelper.PodRequests computes it: the sum of
 * its containers (plus restartable init containers, which run beside them), or the
 * largest init container step if that is bigger, plus the pod overhead.
 * `nonZero` substitutes the scheduler's defaults for unset cpu and memory requests.
 */
export function computePodRequests(pod: Pod, opts: { nonZero?: boolean } = {}): Resource {
  const requestsOf = (c: Container): Resource => {
    const r = resourceFromList(c.resources?.requests as ResourceList);
    if (opts.nonZero) {
      if (!c.resources?.requests?.['cpu']) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
      if (!c.resources?.requests?.['memory']) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    return r;
  };
  let sum = emptyResource();
  for (const c of pod.spec?.containers ?? []) sum = addResource(sum, requestsOf(c));
  let restartable = emptyResource();
  let initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    let step: Resource;
    if (c.restartPolicy === 'Always') {
      sum = addResource(sum, requestsOf(c));
      restartable = addResource(restartable, requestsOf(c));
      step = restartable;
    } else {
      step = addResource(requestsOf(c), restartable);
    }
    initMax = maxResource(initMax, step);
  }
  let total = maxResource(sum, initMax);
  if (pod.spec?.overhead) total = addResource(total, resourceFromList(pod.spec.overhead as ResourceList));
  return total;
}

export interface ImageStateSummary {
  sizeBytes: number;
  /** How many nodes have the image: spreads image locality scores over the cluster. */
  numNodes: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const ports: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return ports;
}

function hasAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

/** A node with the pods the scheduler believes run on it, and their sums. */
export class NodeInfo {
  node: Node | undefined;
  pods: Pod[] = [];
  podsWithAffinity: Pod[] = [];
  podsWithRequiredAntiAffinity: Pod[] = [];
  /** Keyed `ip/protocol/port`. */
  usedPorts = new Map<string, HostPort>();
  requested: Resource = emptyResource();
  nonZeroRequested: Resource = emptyResource();
  allocatable: Resource = emptyResource();
  /** Image name (every tag and digest the node reports) → state. */
  imageStates = new Map<string, ImageStateSummary>();
  generation = 0;

  constructor(node?: Node, pods: readonly Pod[] = []) {
    if (node) this.setNode(node);
    for (const p of pods) this.addPod(p);
  }

  get name(): string {
    return this.node?.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = resourceFromList(node.status?.allocatable as ResourceList);
    this.generation++;
  }

  addPod(pod: Pod): void {
    this.pods.push(pod);
    if (hasAffinity(pod)) this.podsWithAffinity.push(pod);
    if (hasRequiredAntiAffinity(pod)) this.podsWithRequiredAntiAffinity.push(pod);
    this.requested = addResource(this.requested, computePodRequests(pod));
    this.nonZeroRequested = addResource(this.nonZeroRequested, computePodRequests(pod, { nonZero: true }));
    for (const hp of podHostPorts(pod)) this.usedPorts.set(`${hp.ip}/${hp.protocol}/${hp.port}`, hp);
    this.generation++;
  }

  /** Removes by uid (or namespace/name when uid is unset); returns whether the pod was there. */
  removePod(pod: Pod): boolean {
    const same = (p: Pod) => podIdentity(p) === podIdentity(pod);
    const i = this.pods.findIndex(same);
    if (i < 0) return false;
    const [removed] = this.pods.splice(i, 1);
    if (!removed) return false;
    this.podsWithAffinity = this.podsWithAffinity.filter((p) => !same(p));
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => !same(p));
    this.requested = subtractResource(this.requested, computePodRequests(removed));
    this.nonZeroRequested = subtractResource(this.nonZeroRequested, computePodRequests(removed, { nonZero: true }));
    for (const hp of podHostPorts(removed)) this.usedPorts.delete(`${hp.ip}/${hp.protocol}/${hp.port}`);
    this.generation++;
    return true;
  }

  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.allocatable = this.allocatable;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = new Map(this.usedPorts);
    c.requested = this.requested;
    c.nonZeroRequested = this.nonZeroRequested;
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    return c;
  }
}

export function podIdentity(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}
