// The kubelet's Node: the object it registers (kubelet_node_status.go initialNode) and the
// status it posts every --node-status-update-frequency (nodestatus/setters.go): capacity,
// addresses, nodeInfo, the four conditions, images and the daemon endpoint.
import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../client/lister.js';
import type { ImageInfo } from './runtime/runtime.js';

export const KUBELET_VERSION = 'v1.32.0-tskube';
/** nodeStatusMaxImages. */
const MAX_IMAGES = 50;

export interface NodeConfig {
  nodeName: string;
  /** The address the kubelet server listens on, reported as InternalIP. */
  address: string;
  port: number;
  maxPods: number;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Identities; derived from the host (or, for hollow nodes, the name) when not given. */
  machineID?: string;
  systemUUID?: string;
  bootID?: string;
}

export function goArch(arch = os.arch()): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

function readTrim(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim() || undefined; } catch { return undefined; }
}

function osImage(): string {
  const release = readTrim('/etc/os-release') ?? '';
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release);
  return m?.[1] ?? 'Linux';
}

function idFrom(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function nodeCapacity(config: NodeConfig): Record<string, string> {
  return {
    cpu: config.cpu ?? String(os.cpus().length),
    'ephemeral-storage': ephemeralStorage(),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: config.memory ?? `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: String(config.maxPods),
  };
}

function ephemeralStorage(): string {
  try {
    const s = statfsSync('/');
    return `${Math.floor((s.blocks * s.bsize) / 1024)}Ki`;
  } catch {
    return '0';
  }
}

/** The Node the kubelet registers (initialNode). */
export function initialNode(config: NodeConfig): Node {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    ...config.labels,
  };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: config.nodeName, labels, annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
    spec: config.taints?.length ? { taints: config.taints } : {},
  };
}

export interface NodeStatusInput {
  config: NodeConfig;
  /** docker://20.10.24 */
  containerRuntimeVersion: string;
  images: readonly ImageInfo[];
  now: Date;
  /** The status the Node has now, so transition times carry over. */
  previous?: NodeStatus | DeepReadonly<NodeStatus> | undefined;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

const CONDITIONS: readonly [type: string, status: 'True' | 'False', reason: string, message: string][] = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
];

export function nodeStatus(input: NodeStatusInput): NodeStatus {
  const { config, now, previous } = input;
  const capacity = nodeCapacity(config);
  const conditions: NodeCondition[] = CONDITIONS.map(([type, status, reason, message]) => {
    const prev = previous?.conditions?.find((c) => c.type === type);
    return {
      type, status, reason, message,
      lastHeartbeatTime: rfc3339(now),
      lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
    };
  });
  const isHostNode = config.machineID === undefined;
  const machineID = config.machineID ?? readTrim('/etc/machine-id') ?? idFrom(`machine:${os.hostname()}`);
  const images = [...input.images]
    .filter((i) => i.repoTags.length || i.repoDigests.length)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, MAX_IMAGES)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.sizeBytes }));
  return {
    capacity,
    allocatable: { ...capacity },
    conditions,
    addresses: [{ type: 'InternalIP', address: config.address }, { type: 'Hostname', address: config.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: config.port } },
    nodeInfo: {
      machineID,
      systemUUID: config.systemUUID ?? (isHostNode ? readTrim('/sys/class/dmi/id/product_uuid')?.toLowerCase() : undefined) ?? uuidFrom(idFrom(`uuid:${config.nodeName}`)),
      bootID: config.bootID ?? (isHostNode ? readTrim('/proc/sys/kernel/random/boot_id') : undefined) ?? uuidFrom(idFrom(`boot:${config.nodeName}:${process.pid}`)),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: input.containerRuntimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: goArch(),
    },
    images,
  };
}

/** `k=v,k2=v2` (--node-labels). */
export function parseNodeLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid label "${part}": expected key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** `key=value:Effect,key:Effect` (--register-with-taints). */
export function parseTaints(s: string): Taint[] {
  const out: Taint[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = part.lastIndexOf(':');
    if (colon <= 0) throw new Error(`invalid taint spec: ${part}`);
    const effect = part.slice(colon + 1);
    if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) throw new Error(`invalid taint effect: ${effect}, unsupported taint effect`);
    const kv = part.slice(0, colon);
    const eq = kv.indexOf('=');
    out.push(eq < 0 ? { key: kv, effect } : { key: kv.slice(0, eq), value: kv.slice(eq + 1), effect });
  }
  return out;
}
