// ContainerRuntime over the Docker Engine API. A pod is a sandbox container of the
// pod-infra (pause) image on tskube's bridge network plus one container per spec container
// joined to the sandbox's namespaces. Every object carries the node's label and every list
// and lookup is filtered by it, so several kubelets can share one Docker host.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type {
  ContainerConfig, ContainerFilter, ContainerRuntime, ContainerStats, ExecOptions, ExecResult,
  ImageInfo, LogOptions, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus,
  RuntimeContainer, RuntimeContainerStatus, RuntimeVersion,
} from '../runtime.js';
import {
  ContainerNotFoundError, ContainerNotRunningError, ExecTimeoutError, ImageNotFoundError,
  ImagePullError, RuntimeError, SandboxNotFoundError,
} from '../runtime-errors.js';
import * as L from '../../../api/container-labels.js';
import { DockerApiError, DockerClient, DEFAULT_DOCKER_SOCKET } from './docker-client.js';
import {
  containerName, dockerContainerConfig, dockerSandboxConfig, sandboxName, type SandboxInfo,
} from './docker-container-config.js';
import { toContainerStatus, toRuntimeContainer, toSandbox, toSandboxStatus } from './docker-container-status.js';
import type {
  DockerContainerInspect, DockerContainerSummary, DockerCreateBody, DockerImageInspect, DockerImageSummary,
} from './docker-types.js';
import { demuxDockerStream } from './demux-docker-stream.js';

export const DEFAULT_POD_INFRA_IMAGE = 'registry.k8s.io/pause:3.10';
export const DEFAULT_NETWORK_NAME = 'tskube';

export interface DockerRuntimeOptions {
  nodeName: string;
  /** Scopes everything to one cluster, so same-named nodes of two clusters stay apart. */
  clusterId?: string;
  socketPath?: string;
  podInfraImage?: string;
  networkName?: string;
  /** Address published hostPorts bind to; loopback so nothing is exposed off the machine. */
  hostPortAddress?: string;
  /** docker-init as PID 1 of app containers (default true), so `sh`/`httpd` obey SIGTERM. */
  init?: boolean;
  pullTimeoutMs?: number;
}

// dockershim's defaultSandboxGracePeriod.
const SANDBOX_GRACE_SECONDS = 10;
type Kind = 'sandbox' | 'container';

/** A just-finished container killed by SIGKILL with a memory limit: possibly an OOM kill not yet recorded. */
function mayStillBecomeOomKilled(c: DockerContainerInspect): boolean {
  const st = c.State;
  if (!st || st.Running || st.OOMKilled || st.ExitCode !== 137 || !c.HostConfig.Memory) return false;
  return Date.now() - Date.parse(st.FinishedAt ?? '') < 2000;
}

export class DockerRuntime implements ContainerRuntime {
  readonly #client: DockerClient;
  readonly #nodeName: string;
  readonly #clusterId: string | undefined;
  readonly #podInfraImage: string;
  readonly #networkName: string;
  readonly #hostPortAddress: string;
  readonly #init: boolean;
  readonly #pullTimeoutMs: number;
  #network: Promise<void> | undefined;
  /**
   * What createContainer needs of this node's sandboxes (full id, labels, cgroup parent), kept
   * from runSandbox or an inspect until removeSandbox. None of it ever changes, and inspecting
   * the sandbox again for every container competes with the creates of a burst.
   */
  readonly #sandboxInfo = new Map<string, SandboxInfo>();
  /** Containers createContainer made and startContainer has not started: they are ours without an inspect. */
  readonly #created = new Set<string>();

  constructor(options: DockerRuntimeOptions) {
    this.#client = new DockerClient(options.socketPath ?? DEFAULT_DOCKER_SOCKET);
    this.#nodeName = options.nodeName;
    this.#clusterId = options.clusterId;
    this.#podInfraImage = options.podInfraImage ?? DEFAULT_POD_INFRA_IMAGE;
    this.#networkName = options.networkName ?? DEFAULT_NETWORK_NAME;
    this.#hostPortAddress = options.hostPortAddress ?? '127.0.0.1';
    this.#init = options.init ?? true;
    this.#pullTimeoutMs = options.pullTimeoutMs ?? 60_000;
  }

  get nodeName(): string { return this.#nodeName; }
  get networkName(): string { return this.#networkName; }

  async close(): Promise<void> {
    await this.#client.close();
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.#client.call<{ Version: string; ApiVersion: string }>({ path: '/version' });
    return { runtimeName: 'docker', runtimeVersion: v.Version, runtimeApiVersion: v.ApiVersion };
  }

  // ---- sandboxes ----

  async runSandbox(config: PodSandboxConfig): Promise<string> {
    if (!config.hostNetwork) await this.#ensureNetwork();
    const body = dockerSandboxConfig(config, {
      nodeName: this.#nodeName, clusterId: this.#clusterId, podInfraImage: this.#podInfraImage,
      networkName: this.#networkName, hostPortAddress: this.#hostPortAddress,
    });
    let id: string;
    try {
      id = await this.#create(sandboxName(config.metadata), body);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError)) throw err;
      await this.pullImage(this.#podInfraImage);
      id = await this.#create(sandboxName(config.metadata), body);
    }
    try {
      await this.#client.call({ method: 'POST', path: `/containers/${id}/start` });
    } catch (err) {
      // A sandbox that cannot start (e.g. its hostPort is taken) is useless: don't leak it.
      await this.#removeForce(id);
      throw toRuntimeError(err);
    }
    this.#sandboxInfo.set(id, { id, labels: body.Labels, ...(body.HostConfig.CgroupParent ? { cgroupParent: body.HostConfig.CgroupParent } : {}) });
    return id;
  }

  async stopSandbox(id: string): Promise<void> {
    const sandbox = await this.#inspectOwned(id, 'sandbox').catch(ignoreNotFound);
    if (!sandbox) return;
    const running = await this.listContainers({ sandboxId: sandbox.Id, state: 'running' });
    await Promise.all(running.map((c) => this.stopContainer(c.id, 0).catch(ignoreNotFound)));
    await this.#stop(sandbox.Id, SANDBOX_GRACE_SECONDS, 'sandbox').catch(ignoreNotFound);
  }

  async removeSandbox(id: string): Promise<void> {
    this.#sandboxInfo.delete(id);
    const sandbox = await this.#inspectOwned(id, 'sandbox').catch(ignoreNotFound);
    if (!sandbox) return;
    this.#sandboxInfo.delete(sandbox.Id);
    const containers = await this.listContainers({ sandboxId: sandbox.Id });
    for (const c of containers) this.#created.delete(c.id);
    await Promise.all(containers.map((c) => this.#removeForce(c.id)));
    await this.#removeForce(sandbox.Id);
  }

  async listSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const labels = [`${L.LABEL_TYPE}=${L.TYPE_SANDBOX}`];
    if (filter.podUid) labels.push(`${L.LABEL_POD_UID}=${filter.podUid}`);
    const list = await this.#list(labels, filter.id, filter.labelSelector);
    return list.map(toSandbox).filter((s) => !filter.state || s.state === filter.state);
  }

  async sandboxStatus(id: string): Promise<PodSandboxStatus> {
    return toSandboxStatus(await this.#inspectSandbox(id), this.#networkName);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.#sandboxInfo.get(sandboxId) ?? sandboxInfo(await this.#inspectSandbox(sandboxId));
    const body = dockerContainerConfig(config, sandbox, { nodeName: this.#nodeName, clusterId: this.#clusterId, init: this.#init });
    const labels = body.Labels;
    const pod = {
      name: labels[L.LABEL_POD_NAME] ?? '', namespace: labels[L.LABEL_POD_NAMESPACE] ?? '', uid: labels[L.LABEL_POD_UID] ?? '',
    };
    const id = await this.#create(containerName(config.metadata, pod), body);
    this.#created.add(id);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    if (!this.#created.delete(id)) await this.#inspectOwned(id, 'container');
    try {
      await this.#client.call({ method: 'POST', path: `/containers/${id}/start` });
    } catch (err) {
      throw toRuntimeError(err, id);
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    await this.#inspectOwned(id, 'container');
    await this.#stop(id, gracePeriodSeconds, 'container');
  }

  async removeContainer(id: string): Promise<void> {
    this.#created.delete(id);
    const c = await this.#inspectOwned(id, 'container').catch(ignoreNotFound);
    if (c) await this.#removeForce(c.Id);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    const labels = [`${L.LABEL_TYPE}=${L.TYPE_CONTAINER}`];
    if (filter.podUid) labels.push(`${L.LABEL_POD_UID}=${filter.podUid}`);
    if (filter.sandboxId) labels.push(`${L.LABEL_SANDBOX_ID}=${filter.sandboxId}`);
    const list = await this.#list(labels, filter.id, filter.labelSelector);
    return list.map(toRuntimeContainer).filter((c) => !filter.state || c.state === filter.state);
  }

  async containerStatus(id: string): Promise<RuntimeContainerStatus> {
    let c = await this.#inspectOwned(id, 'container');
    if (mayStillBecomeOomKilled(c)) {
      // dockerd records OOMKilled from a separate OOM event that can land just after the exit.
      await sleep(300);
      c = await this.#inspectOwned(id, 'container');
    }
    const image = await this.#client
      .call<DockerImageInspect>({ path: `/images/${c.Image}/json` })
      .catch(() => undefined);
    return toContainerStatus(c, image?.RepoDigests ?? []);
  }

  async containerStats(id: string): Promise<ContainerStats> {
    await this.#inspectOwned(id, 'container');
    const s = await this.#client.call<DockerStats>({
      path: `/containers/${id}/stats`, query: { stream: false, 'one-shot': true },
    });
    const usage = s.memory_stats?.usage ?? 0;
    const inactiveFile = s.memory_stats?.stats?.['total_inactive_file'] ?? s.memory_stats?.stats?.['inactive_file'] ?? 0;
    return {
      timestamp: s.read,
      cpuUsageCoreNanoSeconds: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - inactiveFile),
    };
  }

  async exec(containerId: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
    await this.#inspectOwned(containerId, 'container');
    const hasStdin = options.stdin !== undefined;
    let execId: string;
    try {
      ({ Id: execId } = await this.#client.call<{ Id: string }>({
        method: 'POST', path: `/containers/${containerId}/exec`,
        body: { AttachStdout: true, AttachStderr: true, AttachStdin: hasStdin, Tty: false, Cmd: cmd },
      }));
    } catch (err) {
      throw toRuntimeError(err, containerId);
    }
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length ? AbortSignal.any(signals) : undefined;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    try {
      const start = { method: 'POST' as const, path: `/exec/${execId}/start`, body: { Detach: false, Tty: false }, ...(signal ? { signal } : {}) };
      let source: Readable | NodeJS.ReadableStream;
      if (hasStdin) {
        const socket = await this.#client.hijack(start);
        signal?.addEventListener('abort', () => socket.destroy(), { once: true });
        socket.end(options.stdin);
        source = socket;
      } else {
        source = await this.#client.stream(start);
      }
      for await (const frame of demuxDockerStream(source as AsyncIterable<Buffer>)) {
        (frame.stream === 'stderr' ? stderr : stdout).push(frame.data);
      }
      if (signal?.aborted) throw signal.reason;
    } catch (err) {
      // Docker cannot kill an exec'd process; like the kubelet we just stop waiting for it.
      if (timeout?.aborted && options.timeoutMs !== undefined) throw new ExecTimeoutError(options.timeoutMs);
      throw toRuntimeError(err, containerId);
    }
    return { exitCode: await this.#execExitCode(execId), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
  }

  logs(containerId: string, options: LogOptions = {}): AsyncIterable<Buffer> {
    return this.#logs(containerId, options);
  }

  async *#logs(containerId: string, options: LogOptions): AsyncGenerator<Buffer> {
    const c = await this.#inspectOwned(containerId, 'container');
    let since: string | undefined;
    if (options.sinceTime !== undefined) since = unixTimestamp(Date.parse(options.sinceTime));
    else if (options.sinceSeconds !== undefined) since = unixTimestamp(Date.now() - options.sinceSeconds * 1000);
    let body: Readable;
    try {
      body = await this.#client.stream({
        path: `/containers/${c.Id}/logs`,
        query: {
          stdout: true, stderr: true, follow: options.follow === true, timestamps: options.timestamps === true,
          tail: options.tailLines === undefined ? 'all' : Math.max(0, options.tailLines), since,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) return;
      throw toRuntimeError(err, containerId);
    }
    try {
      if (c.Config.Tty) {
        for await (const chunk of body) yield chunk as Buffer;
      } else {
        for await (const frame of demuxDockerStream(body as AsyncIterable<Buffer>)) yield frame.data;
      }
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    } finally {
      body.destroy();
    }
  }

  // ---- images ----

  async pullImage(ref: string): Promise<string> {
    const { name, tag } = splitImageRef(ref);
    const signal = AbortSignal.timeout(this.#pullTimeoutMs);
    try {
      const body = await this.#client.stream({
        method: 'POST', path: '/images/create', query: { fromImage: name, tag }, signal, headersTimeoutMs: this.#pullTimeoutMs,
      });
      // The answer is 200 and a progress stream; a failure mid-pull is an `error` line.
      let rest = '';
      for await (const chunk of body) {
        rest += (chunk as Buffer).toString('utf8');
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of [...lines]) {
          const error = pullLineError(line);
          if (error) throw new ImagePullError(ref, `Error response from daemon: ${error}`);
        }
      }
      const error = pullLineError(rest);
      if (error) throw new ImagePullError(ref, `Error response from daemon: ${error}`);
    } catch (err) {
      if (err instanceof ImagePullError) throw err;
      if (signal.aborted) throw new ImagePullError(ref, `pulling image "${ref}" timed out after ${this.#pullTimeoutMs}ms`);
      const message = err instanceof DockerApiError ? `Error response from daemon: ${err.message}` : String(err);
      throw new ImagePullError(ref, message, { cause: err });
    }
    const image = await this.imageStatus(ref);
    if (!image) throw new ImagePullError(ref, `image "${ref}" is not present after pulling it`);
    return image.id;
  }

  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    try {
      return toImageInfo(await this.#client.call<DockerImageInspect>({ path: `/images/${ref}/json` }));
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 404) return undefined;
      throw toRuntimeError(err);
    }
  }

  async listImages(): Promise<ImageInfo[]> {
    const images = await this.#client.call<DockerImageSummary[]>({ path: '/images/json' });
    return images.map(toImageInfo);
  }

  // ---- helpers ----

  async #ensureNetwork(): Promise<void> {
    this.#network ??= (async () => {
      try {
        await this.#client.call({ path: `/networks/${this.#networkName}` });
      } catch (err) {
        if (!(err instanceof DockerApiError && err.statusCode === 404)) throw err;
        try {
          await this.#client.call({
            method: 'POST', path: '/networks/create',
            body: { Name: this.#networkName, Driver: 'bridge', CheckDuplicate: true, Labels: { 'io.tskube.managed': 'true' } },
          });
        } catch (createErr) {
          // Another kubelet on this host created it first.
          if (!(createErr instanceof DockerApiError && createErr.statusCode === 409)) throw createErr;
        }
      }
    })().catch((err: unknown) => {
      this.#network = undefined;
      throw toRuntimeError(err);
    });
    return this.#network;
  }

  async #create(name: string, body: DockerCreateBody): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      // A stale container with the same name (e.g. left by a crash between create and record)
      // must not block the pod: like dockershim, retry under a randomised name.
      const actual = attempt === 0 ? name : `${name}_${randomBytes(4).toString('hex')}`;
      try {
        const res = await this.#client.call<{ Id: string }>({
          method: 'POST', path: '/containers/create', query: { name: actual }, body,
        });
        return res.Id;
      } catch (err) {
        if (err instanceof DockerApiError && err.statusCode === 409 && attempt < 2) continue;
        if (err instanceof DockerApiError && err.statusCode === 404 && /no such image/i.test(err.message)) {
          throw new ImageNotFoundError(body.Image);
        }
        throw toRuntimeError(err);
      }
    }
  }

  async #list(labels: string[], id: string | undefined, selector: Record<string, string> | undefined): Promise<DockerContainerSummary[]> {
    const all = [`${L.LABEL_NODE}=${this.#nodeName}`, ...labels];
    if (this.#clusterId) all.push(`${L.LABEL_CLUSTER}=${this.#clusterId}`);
    for (const [k, v] of Object.entries(L.encodeUserLabels(selector, undefined))) all.push(`${k}=${v}`);
    const filters: Record<string, string[]> = { label: all };
    if (id) filters['id'] = [id];
    return this.#client.call<DockerContainerSummary[]>({
      path: '/containers/json', query: { all: true, filters: JSON.stringify(filters) },
    });
  }

  /** Inspects a sandbox, and keeps what createContainer needs of it. */
  async #inspectSandbox(id: string): Promise<DockerContainerInspect> {
    try {
      const sandbox = await this.#inspectOwned(id, 'sandbox');
      this.#sandboxInfo.set(sandbox.Id, sandboxInfo(sandbox));
      return sandbox;
    } catch (err) {
      if (err instanceof SandboxNotFoundError) this.#sandboxInfo.delete(id);
      throw err;
    }
  }

  /** Inspects a container, treating anything not this node's (or of the wrong kind) as absent. */
  async #inspectOwned(id: string, kind: Kind): Promise<DockerContainerInspect> {
    const notFound = kind === 'sandbox' ? new SandboxNotFoundError(id) : new ContainerNotFoundError(id);
    let c: DockerContainerInspect;
    try {
      c = await this.#client.call<DockerContainerInspect>({ path: `/containers/${encodeURIComponent(id)}/json` });
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 404) throw notFound;
      throw toRuntimeError(err);
    }
    const labels = c.Config.Labels ?? {};
    const type = kind === 'sandbox' ? L.TYPE_SANDBOX : L.TYPE_CONTAINER;
    if (labels[L.LABEL_NODE] !== this.#nodeName || labels[L.LABEL_TYPE] !== type) throw notFound;
    if (this.#clusterId && labels[L.LABEL_CLUSTER] !== this.#clusterId) throw notFound;
    return c;
  }

  async #stop(id: string, gracePeriodSeconds: number, kind: Kind): Promise<void> {
    const t = Math.max(0, Math.ceil(gracePeriodSeconds));
    try {
      // Docker sends the stop signal, waits t seconds, then SIGKILLs; 304 = already stopped.
      await this.#client.call({
        method: 'POST', path: `/containers/${id}/stop`, query: { t }, headersTimeoutMs: (t + 60) * 1000,
      });
    } catch (err) {
      if (err instanceof DockerApiError && err.statusCode === 404) {
        throw kind === 'sandbox' ? new SandboxNotFoundError(id) : new ContainerNotFoundError(id);
      }
      throw toRuntimeError(err);
    }
  }

  async #removeForce(id: string): Promise<void> {
    try {
      await this.#client.call({ method: 'DELETE', path: `/containers/${id}`, query: { force: true, v: true } });
    } catch (err) {
      // 404: already gone; 409: removal already in progress.
      if (err instanceof DockerApiError && (err.statusCode === 404 || err.statusCode === 409)) return;
      throw toRuntimeError(err);
    }
  }

  async #execExitCode(execId: string): Promise<number> {
    // The stream can end a moment before Docker records the exit.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await this.#client.call<{ Running: boolean; ExitCode: number | null }>({ path: `/exec/${execId}/json` });
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      if (Date.now() > deadline) throw new RuntimeError(`exec ${execId} did not report an exit code`);
      await sleep(20);
    }
  }
}

interface DockerStats {
  read: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

function sandboxInfo(sandbox: DockerContainerInspect): SandboxInfo {
  return {
    id: sandbox.Id,
    labels: sandbox.Config.Labels ?? {},
    ...(sandbox.HostConfig.CgroupParent ? { cgroupParent: sandbox.HostConfig.CgroupParent } : {}),
  };
}

function toImageInfo(i: DockerImageInspect | DockerImageSummary): ImageInfo {
  return {
    id: i.Id,
    repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    repoDigests: (i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>'),
    sizeBytes: i.Size,
  };
}

/** `name[:tag]` or `name@digest` → Docker's fromImage and tag; the tag defaults to latest. */
export function splitImageRef(ref: string): { name: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}

function pullLineError(line: string): string | undefined {
  if (!line.trim()) return undefined;
  try {
    const msg = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    return msg.errorDetail?.message ?? msg.error;
  } catch {
    return undefined;
  }
}

/** Docker's `since`: Unix seconds with a nanosecond fraction. */
function unixTimestamp(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String(Math.round((ms - seconds * 1000) * 1e6)).padStart(9, '0')}`;
}

function ignoreNotFound(err: unknown): undefined {
  if (err instanceof ContainerNotFoundError || err instanceof SandboxNotFoundError) return undefined;
  throw err;
}

function toRuntimeError(err: unknown, containerId?: string): Error {
  if (!(err instanceof DockerApiError)) return err instanceof Error ? err : new RuntimeError(String(err));
  if (containerId !== undefined && err.statusCode === 404) return new ContainerNotFoundError(containerId);
  if (containerId !== undefined && err.statusCode === 409 && /is not running|is paused/.test(err.message)) {
    return new ContainerNotRunningError(containerId);
  }
  return new RuntimeError(`Error response from daemon: ${err.message}`, { cause: err });
}
