// The parts of Docker Engine API v1.41 bodies that tskube reads or writes.

export interface DockerHostConfig {
  NetworkMode?: string;
  IpcMode?: string;
  PidMode?: string;
  Init?: boolean;
  Binds?: string[];
  PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  CgroupParent?: string;
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  OomScoreAdj?: number;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  RestartPolicy?: { Name: string };
  LogConfig?: { Type: string; Config: Record<string, string> };
}

export interface DockerCreateBody {
  Image: string;
  Hostname?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels: Record<string, string>;
  HostConfig: DockerHostConfig;
}

export interface DockerContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  State: {
    Status: string;
    Running: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  Config: { Image: string; Labels: Record<string, string> | null; Tty: boolean };
  HostConfig: DockerHostConfig;
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
}

export interface DockerContainerSummary {
  Id: string;
  Image: string;
  ImageID: string;
  Created: number;
  State: string;
  Labels: Record<string, string> | null;
}

export interface DockerImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
}

export interface DockerImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
}
