// Starts the real kubelet command (dist/cmd/kubelet/main.js) against an apiserver, so tests
// can SIGKILL and restart it, plus polling helpers for pod state.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../../../pkg/client/rest-client.js';
import { untilDefined as until } from '../../harness/until.js';
import { killAndWait } from '../../harness/apiserver.js';

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
