// The runtime as the kubelet sees it, counted (kuberuntime instrumented_services.go): every
// call is one kubelet_runtime_operations_total{operation_type} and, when it throws, one
// kubelet_runtime_operations_errors_total. The operation names are upstream's CRI ones, so the
// numbers read like a real kubelet's. Log streams are not a CRI call upstream (the kubelet
// reads log files) and are not counted.
import type {
  ContainerConfig, ContainerFilter, ContainerRuntime, ContainerStats, ExecOptions, ExecResult,
  ImageInfo, LogOptions, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus,
  RuntimeContainer, RuntimeContainerStatus, RuntimeVersion,
} from './runtime.js';

export class InstrumentedRuntime implements ContainerRuntime {
  readonly #rt: ContainerRuntime;
  /** operation_type → calls, and → calls that threw. */
  readonly operations = new Map<string, number>();
  readonly errors = new Map<string, number>();

  constructor(runtime: ContainerRuntime) {
    this.#rt = runtime;
  }

  async #record<T>(operation: string, call: () => Promise<T>): Promise<T> {
    this.operations.set(operation, (this.operations.get(operation) ?? 0) + 1);
    try {
      return await call();
    } catch (err) {
      this.errors.set(operation, (this.errors.get(operation) ?? 0) + 1);
      throw err;
    }
  }

  /** The two counters in the Prometheus text format. */
  metricsText(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} [ALPHA] ${help}`, `# TYPE ${name} counter`);
      for (const [op, n] of [...values].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${name}{operation_type="${op}"} ${n}`);
    };
    counter('kubelet_runtime_operations_total', 'Cumulative number of runtime operations by operation type.', this.operations);
    counter('kubelet_runtime_operations_errors_total', 'Cumulative number of runtime operation errors by operation type.', this.errors);
    return lines.join('\n');
  }

  version(): Promise<RuntimeVersion> { return this.#record('version', () => this.#rt.version()); }

  runSandbox(config: PodSandboxConfig): Promise<string> { return this.#record('run_podsandbox', () => this.#rt.runSandbox(config)); }
  stopSandbox(id: string): Promise<void> { return this.#record('stop_podsandbox', () => this.#rt.stopSandbox(id)); }
  removeSandbox(id: string): Promise<void> { return this.#record('remove_podsandbox', () => this.#rt.removeSandbox(id)); }
  listSandboxes(filter?: PodSandboxFilter): Promise<PodSandbox[]> { return this.#record('list_podsandbox', () => this.#rt.listSandboxes(filter)); }
  sandboxStatus(id: string): Promise<PodSandboxStatus> { return this.#record('podsandbox_status', () => this.#rt.sandboxStatus(id)); }

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    return this.#record('create_container', () => this.#rt.createContainer(sandboxId, config));
  }
  startContainer(id: string): Promise<void> { return this.#record('start_container', () => this.#rt.startContainer(id)); }
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    return this.#record('stop_container', () => this.#rt.stopContainer(id, gracePeriodSeconds));
  }
  removeContainer(id: string): Promise<void> { return this.#record('remove_container', () => this.#rt.removeContainer(id)); }
  listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]> { return this.#record('list_containers', () => this.#rt.listContainers(filter)); }
  containerStatus(id: string): Promise<RuntimeContainerStatus> { return this.#record('container_status', () => this.#rt.containerStatus(id)); }
  containerStats(id: string): Promise<ContainerStats> { return this.#record('container_stats', () => this.#rt.containerStats(id)); }

  exec(containerId: string, cmd: string[], options?: ExecOptions): Promise<ExecResult> {
    return this.#record('exec_sync', () => this.#rt.exec(containerId, cmd, options));
  }
  logs(containerId: string, options?: LogOptions): AsyncIterable<Buffer> { return this.#rt.logs(containerId, options); }

  pullImage(ref: string): Promise<string> { return this.#record('pull_image', () => this.#rt.pullImage(ref)); }
  imageStatus(ref: string): Promise<ImageInfo | undefined> { return this.#record('image_status', () => this.#rt.imageStatus(ref)); }
  listImages(): Promise<ImageInfo[]> { return this.#record('list_images', () => this.#rt.listImages()); }
}
