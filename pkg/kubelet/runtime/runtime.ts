// The kubelet's container runtime seam, shaped after the CRI (cri-api services.go): sandboxes
// hold a pod's network namespace, containers run inside a sandbox, images are pulled apart.
// Everything crossing it is plain data, so the fake and the docker runtime are swappable and
// pod workers can plan with pure functions. Each runtime instance belongs to one node: every
// list only ever returns that node's sandboxes and containers.
//
// Times are RFC 3339 strings as the runtime reported them (Docker: nanosecond precision).

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Bumped each time the kubelet has to recreate the sandbox of the same pod. */
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  /** Host address to publish on; a runtime picks a safe default (docker: 127.0.0.1). */
  hostIp?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** The pod's labels and annotations, returned unchanged by list and status. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  hostNetwork?: boolean;
  hostPid?: boolean;
  hostIpc?: boolean;
  /** spec.shareProcessNamespace: containers see each other's processes. */
  shareProcessNamespace?: boolean;
  dns?: DnsConfig;
  portMappings?: PortMapping[];
  cgroupParent?: string;
}

export type PodSandboxState = 'ready' | 'notready';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  /** The pod IP; absent for hostNetwork sandboxes (the kubelet reports the node's IP). */
  ip?: string;
  hostNetwork: boolean;
}

export interface PodSandboxFilter {
  id?: string;
  podUid?: string;
  state?: PodSandboxState;
  /** Every pair must match the sandbox's labels. */
  labelSelector?: Record<string, string>;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface KeyValue {
  name: string;
  value: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly?: boolean;
}

/** Linux resources in the units the kubelet computes (see container-resources.ts). */
export interface ContainerResources {
  memoryLimitBytes?: number;
  /** cpu.shares from requests.cpu. */
  cpuShares?: number;
  /** CFS quota and period in microseconds from limits.cpu. */
  cpuQuota?: number;
  cpuPeriod?: number;
  oomScoreAdj?: number;
}

export interface ContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: string;
  /** Kubernetes `command`: replaces the image's entrypoint (and then drops its cmd). */
  command?: string[];
  /** Kubernetes `args`: replaces the image's cmd. */
  args?: string[];
  workingDir?: string;
  env?: KeyValue[];
  mounts?: Mount[];
  resources?: ContainerResources;
  securityContext?: ContainerSecurityContext;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Defaults to metadata.attempt. */
  restartCount?: number;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainer {
  id: string;
  sandboxId: string;
  metadata: ContainerMetadata;
  /** The pod the container belongs to. */
  pod: { name: string; namespace: string; uid: string };
  state: ContainerState;
  createdAt: string;
  /** The image as the spec named it. */
  image: string;
  /** The image's id (`sha256:...`). */
  imageId: string;
  restartCount: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuntimeContainerStatus extends RuntimeContainer {
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** OOMKilled, Completed or Error once exited, as the kubelet reports it. */
  reason?: string;
  message?: string;
  /** containerStatuses[].imageID: `docker-pullable://name@sha256:...` or `docker://sha256:...`. */
  imageRef: string;
}

export interface ContainerFilter {
  id?: string;
  sandboxId?: string;
  podUid?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface ExecOptions {
  /** The command is reported as timed out (ExecTimeoutError) after this long. */
  timeoutMs?: number;
  stdin?: string | Buffer;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339. */
  sinceTime?: string;
  /** Prefix each line with its RFC 3339 nanosecond timestamp and a space. */
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
}

export interface ContainerStats {
  timestamp: string;
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageCoreNanoSeconds: number;
  memoryUsageBytes: number;
  /** Usage minus inactive file cache: what the kubelet evicts and reports on. */
  memoryWorkingSetBytes: number;
}

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;

  runSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops the sandbox and force-stops containers still running in it; idempotent. */
  stopSandbox(id: string): Promise<void>;
  /** Removes the sandbox and its containers; a missing sandbox is not an error. */
  removeSandbox(id: string): Promise<void>;
  listSandboxes(filter?: PodSandboxFilter): Promise<PodSandbox[]>;
  sandboxStatus(id: string): Promise<PodSandboxStatus>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after gracePeriodSeconds. */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** A missing container is not an error. */
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]>;
  containerStatus(id: string): Promise<RuntimeContainerStatus>;
  containerStats(id: string): Promise<ContainerStats>;

  exec(containerId: string, cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  logs(containerId: string, options?: LogOptions): AsyncIterable<Buffer>;

  /** Returns the image id; throws ImagePullError (the kubelet's ErrImagePull). */
  pullImage(ref: string): Promise<string>;
  /** undefined when the image is not present. */
  imageStatus(ref: string): Promise<ImageInfo | undefined>;
  listImages(): Promise<ImageInfo[]>;
}
