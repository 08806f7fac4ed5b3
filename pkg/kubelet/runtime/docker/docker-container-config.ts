// Pure mapping of CRI-like sandbox and container configs onto Docker create bodies, the
// way dockershim did it (docker_sandbox.go, docker_container.go, helpers_linux.go): the
// sandbox container owns the pod's network (and IPC) namespace, app containers join it.
import type { ContainerConfig, PodSandboxConfig, PodSandboxMetadata } from '../runtime.js';
import * as L from '../../../api/container-labels.js';
import type { DockerCreateBody, DockerHostConfig } from './docker-types.js';

export interface SandboxConfigOptions {
  nodeName: string;
  clusterId?: string | undefined;
  podInfraImage: string;
  networkName: string;
  /** Where published hostPorts listen unless a mapping names its own hostIp. */
  hostPortAddress: string;
}

export interface ContainerConfigOptions {
  nodeName: string;
  clusterId?: string | undefined;
  /** Run docker-init as PID 1 so shells and httpd get SIGTERM and reap zombies. */
  init: boolean;
}

/** What an app container needs to know about its sandbox. */
export interface SandboxInfo {
  id: string;
  labels: Record<string, string>;
  cgroupParent?: string;
}

// kubelet's default --container-log-max-size / max-files, so logs cannot fill the disk.
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } };

/** `k8s_POD_<pod>_<namespace>_<uid>_<attempt>` as dockershim named sandboxes. */
export function sandboxName(m: PodSandboxMetadata): string {
  return ['k8s', 'POD', m.name, m.namespace, m.uid, String(m.attempt)].join('_');
}

export function containerName(c: { name: string; attempt: number }, pod: { name: string; namespace: string; uid: string }): string {
  return ['k8s', c.name, pod.name, pod.namespace, pod.uid, String(c.attempt)].join('_');
}

export function dockerSandboxConfig(config: PodSandboxConfig, opts: SandboxConfigOptions): DockerCreateBody {
  const m = config.metadata;
  const labels: Record<string, string> = {
    ...L.encodeUserLabels(config.labels, config.annotations),
    [L.LABEL_NODE]: opts.nodeName,
    ...(opts.clusterId ? { [L.LABEL_CLUSTER]: opts.clusterId } : {}),
    [L.LABEL_TYPE]: L.TYPE_SANDBOX,
    [L.LABEL_POD_UID]: m.uid,
    [L.LABEL_POD_NAME]: m.name,
    [L.LABEL_POD_NAMESPACE]: m.namespace,
    [L.LABEL_ATTEMPT]: String(m.attempt),
    [L.LABEL_HOST_NETWORK]: String(config.hostNetwork === true),
    [L.LABEL_SHARE_PID]: String(config.shareProcessNamespace === true),
    [L.LABEL_HOST_PID]: String(config.hostPid === true),
    [L.LABEL_HOST_IPC]: String(config.hostIpc === true),
  };
  const hostConfig: DockerHostConfig = {
    NetworkMode: config.hostNetwork ? 'host' : opts.networkName,
    // Containers join the sandbox's IPC namespace, which Docker only allows when shareable.
    IpcMode: config.hostIpc ? 'host' : 'shareable',
    // The pause image handles signals itself; docker-init also covers look-alike images.
    Init: true,
    RestartPolicy: { Name: 'no' },
    LogConfig: LOG_CONFIG,
  };
  if (config.hostPid) hostConfig.PidMode = 'host';
  if (config.cgroupParent) hostConfig.CgroupParent = config.cgroupParent;
  if (config.dns) {
    if (config.dns.servers.length) hostConfig.Dns = config.dns.servers;
    if (config.dns.searches.length) hostConfig.DnsSearch = config.dns.searches;
    if (config.dns.options.length) hostConfig.DnsOptions = config.dns.options;
  }
  const body: DockerCreateBody = { Image: opts.podInfraImage, Labels: labels, HostConfig: hostConfig };
  // Docker refuses a hostname with host networking; the pod then has the node's name.
  if (!config.hostNetwork) body.Hostname = config.hostname ?? m.name;
  // With host networking the ports are the host's already; nothing to publish.
  const published = config.hostNetwork ? [] : (config.portMappings ?? []).filter((p) => p.hostPort > 0);
  if (published.length) {
    body.ExposedPorts = {};
    hostConfig.PortBindings = {};
    for (const p of published) {
      const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
      body.ExposedPorts[key] = {};
      (hostConfig.PortBindings[key] ??= []).push({ HostIp: hostIpFor(p.hostIp, opts.hostPortAddress), HostPort: String(p.hostPort) });
    }
  }
  return body;
}

/**
 * A hostPort bound to every interface would be reachable from off the machine, so an
 * unspecified or wildcard hostIP gets the runtime's (loopback) address; a specific one stands.
 */
function hostIpFor(hostIp: string | undefined, fallback: string): string {
  return !hostIp || hostIp === '0.0.0.0' || hostIp === '::' ? fallback : hostIp;
}

export function dockerContainerConfig(
  config: ContainerConfig,
  sandbox: SandboxInfo,
  opts: ContainerConfigOptions,
): DockerCreateBody {
  const sb = sandbox.labels;
  const labels: Record<string, string> = {
    ...L.encodeUserLabels(config.labels, config.annotations),
    [L.LABEL_NODE]: opts.nodeName,
    ...(opts.clusterId ? { [L.LABEL_CLUSTER]: opts.clusterId } : {}),
    [L.LABEL_TYPE]: L.TYPE_CONTAINER,
    [L.LABEL_SANDBOX_ID]: sandbox.id,
    [L.LABEL_POD_UID]: sb[L.LABEL_POD_UID] ?? '',
    [L.LABEL_POD_NAME]: sb[L.LABEL_POD_NAME] ?? '',
    [L.LABEL_POD_NAMESPACE]: sb[L.LABEL_POD_NAMESPACE] ?? '',
    [L.LABEL_CONTAINER_NAME]: config.metadata.name,
    [L.LABEL_ATTEMPT]: String(config.metadata.attempt),
    [L.LABEL_RESTART_COUNT]: String(config.restartCount ?? config.metadata.attempt),
  };
  const sandboxMode = `container:${sandbox.id}`;
  const hostConfig: DockerHostConfig = {
    NetworkMode: sandboxMode,
    IpcMode: sandboxMode,
    RestartPolicy: { Name: 'no' },
    LogConfig: LOG_CONFIG,
    Init: opts.init,
  };
  if (sb[L.LABEL_HOST_PID] === 'true') hostConfig.PidMode = 'host';
  else if (sb[L.LABEL_SHARE_PID] === 'true') hostConfig.PidMode = sandboxMode;
  if (sandbox.cgroupParent) hostConfig.CgroupParent = sandbox.cgroupParent;
  if (config.mounts?.length) {
    hostConfig.Binds = config.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  }
  const r = config.resources;
  if (r?.memoryLimitBytes) {
    hostConfig.Memory = r.memoryLimitBytes;
    // No swap beyond the limit, so exceeding it means the OOM killer, as on a kubelet node.
    hostConfig.MemorySwap = r.memoryLimitBytes;
  }
  if (r?.cpuShares) hostConfig.CpuShares = r.cpuShares;
  if (r?.cpuQuota) {
    hostConfig.CpuQuota = r.cpuQuota;
    hostConfig.CpuPeriod = r.cpuPeriod ?? 100000;
  }
  if (r?.oomScoreAdj !== undefined) hostConfig.OomScoreAdj = r.oomScoreAdj;
  const sc = config.securityContext;
  if (sc?.privileged) hostConfig.Privileged = true;
  if (sc?.readOnlyRootFilesystem) hostConfig.ReadonlyRootfs = true;

  const body: DockerCreateBody = { Image: config.image, Labels: labels, HostConfig: hostConfig };
  // Docker drops the image's Cmd when Entrypoint is given, which is exactly Kubernetes'
  // rule that `command` without `args` ignores the image's CMD.
  if (config.command?.length) body.Entrypoint = config.command;
  if (config.args?.length) body.Cmd = config.args;
  if (config.env?.length) body.Env = config.env.map((e) => `${e.name}=${e.value}`);
  if (config.workingDir) body.WorkingDir = config.workingDir;
  if (sc?.runAsUser !== undefined) {
    body.User = sc.runAsGroup === undefined ? String(sc.runAsUser) : `${sc.runAsUser}:${sc.runAsGroup}`;
  }
  if (config.tty) body.Tty = true;
  if (config.stdin) {
    body.OpenStdin = true;
    body.AttachStdin = true;
    if (config.stdinOnce) body.StdinOnce = true;
  }
  return body;
}
