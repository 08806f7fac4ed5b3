// Starts the real kubelet command (dist/cmd/kubelet/main.js) against an apiserver, so tests
// can SIGKILL and restart it, a whole apiserver-plus-kubelet setup on real Docker, and
// polling helpers for pod state.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import { untilDefined as until } from '../../harness/until.js';
import { killAndWait, startApiServer, type ApiServerProcess } from '../../harness/apiserver.js';
import { ensureImage } from '../../harness/docker.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { freePort } from '../../harness/free-port.js';

export const KUBELET_MAIN = fileURLToPath(new URL('../../../cmd/kubelet/main.js', import.meta.url));

export interface KubeletProcess {
  process: ChildProcess;
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

export async function startKubelet(args: string[]): Promise<KubeletProcess> {
  let output = '';
  const launch = () => {
    const proc = spawn(process.execPath, [KUBELET_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: process.env['TSKUBE_LOG_LEVEL'] ?? 'info' },
    });
    const keep = (b: Buffer) => { output = (output + b.toString()).slice(-20_000); };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    return proc;
  };
  const handle: KubeletProcess = {
    process: launch(),
    logs: () => output,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => killAndWait(handle.process, signal),
    async restart() {
      await handle.kill();
      handle.process = launch();
    },
  };
  return handle;
}

export { until };

/** Waits until the pod satisfies pred; returns it. */
export function podUntil(client: RestClient, ns: string, name: string, what: string, pred: (p: Pod) => boolean, timeoutMs = 30_000): Promise<Pod> {
  return until(`pod ${name}: ${what}`, async () => {
    const p = await client.resource('pods').get(ns, name);
    return pred(p) ? p : undefined;
  }, timeoutMs);
}

export interface KubeletOnDocker {
  api: ApiServerProcess;
  client: RestClient;
  kubelet: KubeletProcess;
  /** The same Docker, seen directly: what the kubelet made for this node. */
  runtime: DockerRuntime;
  /** The kubelet's server port (/metrics, /containerLogs). */
  port: number;
}

/**
 * The images, an apiserver over the test etcd, and the kubelet command for the node nodeName
 * (a name no other test uses) on real Docker; all of it, the node's containers included, removed at the test's teardown.
 */
export async function startKubeletOnDocker(t: Teardown, nodeName: string, extraArgs: string[] = []): Promise<KubeletOnDocker> {
  await ensureImage('busybox:1.35');
  await ensureImage('registry.k8s.io/pause:3.10');
  const name = 'kubelet';
  const api = await startApiServer(await testEtcd(t), uniquePrefix(name));
  const client = new RestClient({ server: api.url });
  const rootDir = await mkdtemp(join(tmpdir(), `tskube-${name}-`));
  const port = await freePort();
  const kubelet = await startKubelet(['--master', api.url, '--node-name', nodeName, '--port', String(port), '--root-dir', rootDir, ...extraArgs]);
  const runtime = new DockerRuntime({ nodeName });
  t.teardown(async () => {
    await kubelet.kill();
    for (const s of await runtime.listSandboxes().catch(() => [])) await runtime.removeSandbox(s.id).catch(() => undefined);
    await runtime.close();
    await client.close();
    await api.kill();
    await rm(rootDir, { recursive: true, force: true });
  });
  return { api, client, kubelet, runtime, port };
}

interface Teardown { teardown(fn: () => unknown): void }
