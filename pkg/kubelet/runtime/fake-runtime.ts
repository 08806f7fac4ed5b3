// A ContainerRuntime with no processes, for scale tests with hundreds of nodes in one process
// (like kubemark's hollow nodes). State lives in memory; containers run as soon as they are
// started and keep running until stopped or until a test calls exitContainer().
import { randomBytes } from 'node:crypto';
import type {
  ContainerConfig, ContainerFilter, ContainerRuntime, ContainerStats, ExecOptions, ExecResult,
  ImageInfo, LogOptions, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus,
  RuntimeContainer, RuntimeContainerStatus, RuntimeVersion,
} from './runtime.js';
import {
  ContainerNotFoundError, ContainerNotRunningError, ImageNotFoundError, ImagePullError, SandboxNotFoundError,
} from './runtime-errors.js';
import { matchesSelector } from '../../api/container-labels.js';

export interface FakeRuntimeOptions {
  nodeName: string;
  /** Images present from the start (refs as pods name them). */
  images?: string[];
  /** Whether pulling `ref` succeeds; by default every image can be pulled. */
  canPull?: (ref: string) => boolean;
  /** What exec returns; by default exit code 0 and no output. */
  execHandler?: (container: RuntimeContainerStatus, cmd: string[]) => ExecResult;
  /** One line every container has logged; none by default. */
  logLine?: string;
  now?: () => Date;
}

interface FakeSandbox { sandbox: PodSandboxStatus; config: PodSandboxConfig }
interface FakeContainer { status: RuntimeContainerStatus }

// Pod IPs are unique across every fake node in the process, like a cluster-wide pod CIDR.
let nextPodIp = 2;
function allocatePodIp(): string {
  const n = nextPodIp++;
  return `10.244.${(n >> 8) & 255}.${n & 255}`;
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function fakeImage(ref: string): ImageInfo {
  return { id: `sha256:${randomBytes(32).toString('hex')}`, repoTags: [ref], repoDigests: [], sizeBytes: 1 << 20 };
}

export class FakeRuntime implements ContainerRuntime {
  readonly nodeName: string;
  readonly #sandboxes = new Map<string, FakeSandbox>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #images = new Map<string, ImageInfo>();
  readonly #canPull: (ref: string) => boolean;
  readonly #execHandler: FakeRuntimeOptions['execHandler'];
  readonly #logLine: string | undefined;
  readonly #now: () => Date;

  constructor(options: FakeRuntimeOptions) {
    this.nodeName = options.nodeName;
    for (const ref of options.images ?? []) this.#images.set(ref, fakeImage(ref));
    this.#canPull = options.canPull ?? (() => true);
    this.#execHandler = options.execHandler;
    this.#logLine = options.logLine;
    this.#now = options.now ?? (() => new Date());
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  async runSandbox(config: PodSandboxConfig): Promise<string> {
    const id = newId();
    const sandbox: PodSandboxStatus = {
      id,
      metadata: { ...config.metadata },
      state: 'ready',
      createdAt: this.#now().toISOString(),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      hostNetwork: config.hostNetwork === true,
      ...(config.hostNetwork ? {} : { ip: allocatePodIp() }),
    };
    this.#sandboxes.set(id, { sandbox, config: structuredClone(config) });
    return id;
  }

  async stopSandbox(id: string): Promise<void> {
    const s = this.#sandboxes.get(id);
    if (!s) return;
    for (const c of this.#containers.values()) {
      if (c.status.sandboxId === id && c.status.state === 'running') this.#exit(c, 137, 'Error');
    }
    s.sandbox.state = 'notready';
  }

  async removeSandbox(id: string): Promise<void> {
    for (const [cid, c] of this.#containers) if (c.status.sandboxId === id) this.#containers.delete(cid);
    this.#sandboxes.delete(id);
  }

  async listSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const out: PodSandbox[] = [];
    for (const { sandbox: s } of this.#sandboxes.values()) {
      if (filter.id !== undefined && s.id !== filter.id) continue;
      if (filter.podUid !== undefined && s.metadata.uid !== filter.podUid) continue;
      if (filter.state !== undefined && s.state !== filter.state) continue;
      if (!matchesSelector(s.labels, filter.labelSelector)) continue;
      const { ip: _ip, hostNetwork: _hostNetwork, ...sandbox } = structuredClone(s);
      out.push(sandbox);
    }
    return out;
  }

  async sandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.#sandboxes.get(id);
    if (!s) throw new SandboxNotFoundError(id);
    return structuredClone(s.sandbox);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const s = this.#sandboxes.get(sandboxId);
    if (!s) throw new SandboxNotFoundError(sandboxId);
    const image = this.#images.get(config.image);
    if (!image) throw new ImageNotFoundError(config.image);
    const id = newId();
    const m = s.sandbox.metadata;
    this.#containers.set(id, {
      status: {
        id,
        sandboxId,
        metadata: { ...config.metadata },
        pod: { name: m.name, namespace: m.namespace, uid: m.uid },
        state: 'created',
        createdAt: this.#now().toISOString(),
        image: config.image,
        imageId: image.id,
        imageRef: `docker://${image.id}`,
        restartCount: config.restartCount ?? config.metadata.attempt,
        labels: { ...config.labels },
        annotations: { ...config.annotations },
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.#get(id);
    c.status.state = 'running';
    c.status.startedAt = this.#now().toISOString();
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const c = this.#get(id);
    // A well-behaved process exits 0 on SIGTERM; with no grace it is SIGKILLed.
    if (c.status.state === 'running') this.#exit(c, gracePeriodSeconds > 0 ? 0 : 137, gracePeriodSeconds > 0 ? 'Completed' : 'Error');
  }

  async removeContainer(id: string): Promise<void> {
    this.#containers.delete(id);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    const out: RuntimeContainer[] = [];
    for (const { status: c } of this.#containers.values()) {
      if (filter.id !== undefined && c.id !== filter.id) continue;
      if (filter.sandboxId !== undefined && c.sandboxId !== filter.sandboxId) continue;
      if (filter.podUid !== undefined && c.pod.uid !== filter.podUid) continue;
      if (filter.state !== undefined && c.state !== filter.state) continue;
      if (!matchesSelector(c.labels, filter.labelSelector)) continue;
      const {
        startedAt: _s, finishedAt: _f, exitCode: _e, reason: _r, message: _m, imageRef: _i, ...container
      } = structuredClone(c);
      out.push(container);
    }
    return out;
  }

  async containerStatus(id: string): Promise<RuntimeContainerStatus> {
    return structuredClone(this.#get(id).status);
  }

  async containerStats(id: string): Promise<ContainerStats> {
    this.#get(id);
    return { timestamp: this.#now().toISOString(), cpuUsageCoreNanoSeconds: 0, memoryUsageBytes: 0, memoryWorkingSetBytes: 0 };
  }

  async exec(containerId: string, cmd: string[], _options?: ExecOptions): Promise<ExecResult> {
    const c = this.#get(containerId);
    if (c.status.state !== 'running') throw new ContainerNotRunningError(containerId);
    return this.#execHandler?.(structuredClone(c.status), cmd) ?? { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  }

  logs(containerId: string, options: LogOptions = {}): AsyncIterable<Buffer> {
    return this.#logs(containerId, options);
  }

  async *#logs(containerId: string, options: LogOptions): AsyncGenerator<Buffer> {
    const c = this.#get(containerId);
    if (this.#logLine === undefined || options.tailLines === 0) return;
    const ts = options.timestamps ? `${c.status.startedAt ?? c.status.createdAt} ` : '';
    yield Buffer.from(`${ts}${this.#logLine}\n`);
  }

  async pullImage(ref: string): Promise<string> {
    if (!this.#canPull(ref)) {
      throw new ImagePullError(ref, `Error response from daemon: pull access denied for ${ref}, repository does not exist or may require 'docker login'`);
    }
    let image = this.#images.get(ref);
    if (!image) this.#images.set(ref, (image = fakeImage(ref)));
    return image.id;
  }

  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    const image = this.#images.get(ref);
    return image && structuredClone(image);
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.#images.values()].map((i) => structuredClone(i));
  }

  /** Test hook: the container's process exits (a crash, an OOM kill, completion). */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    this.#exit(this.#get(id), exitCode, reason ?? (exitCode === 0 ? 'Completed' : 'Error'));
  }

  #exit(c: FakeContainer, exitCode: number, reason: string): void {
    c.status.state = 'exited';
    c.status.exitCode = exitCode;
    c.status.reason = reason;
    c.status.finishedAt = this.#now().toISOString();
  }

  #get(id: string): FakeContainer {
    const c = this.#containers.get(id);
    if (!c) throw new ContainerNotFoundError(id);
    return c;
  }
}
