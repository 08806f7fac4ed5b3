// Any tskube component as a child process, for tests and benchmarks that need real processes
// (to SIGKILL them, or to measure their memory).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentEnv, componentNodeArgs } from '../../pkg/component/process-env.js';

export type ComponentName = 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager' | 'kubelet';

export interface ComponentProcess {
  name: ComponentName;
  process: ChildProcess;
  /** The last lines it printed, for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function componentMain(name: ComponentName): string {
  return fileURLToPath(new URL(`../../cmd/${name}/main.js`, import.meta.url));
}

export async function startComponent(name: ComponentName, args: string[], opts: { healthz?: string; timeoutMs?: number } = {}): Promise<ComponentProcess> {
  const proc = spawn(process.execPath, componentNodeArgs(componentMain(name), args), { stdio: ['ignore', 'pipe', 'pipe'], env: componentEnv() });
  let out = '';
  const keep = (b: Buffer) => { out = (out + b.toString()).slice(-8000); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const handle: ComponentProcess = {
    name, process: proc, output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  if (opts.healthz) {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${out}`);
      try { if ((await fetch(opts.healthz)).ok) break; } catch { /* not up yet */ }
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`${name} not healthy at ${opts.healthz}: ${out}`); }
      await sleep(100);
    }
  }
  return handle;
}

/** Resident memory of a process, in MB (Linux /proc). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch { return 0; }
}

/** CPU time (user + system) a process has used so far, in seconds; 0 if it cannot be read (Linux /proc). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15, in ticks of 1/100 s.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { return 0; }
}

export interface RunningControlPlane {
  api: string;
  etcdPid: number | undefined;
  processes: ComponentProcess[];
  /** Starts another component; it is stopped with the rest. */
  start(name: ComponentName, args: string[], opts?: { healthz?: string; timeoutMs?: number }): Promise<ComponentProcess>;
}

/** A fresh etcd and kube-apiserver process for `fn`, everything stopped afterwards in reverse order. */
export async function withApiServer<T>(fn: (cp: RunningControlPlane) => Promise<T>): Promise<T> {
  const { startEtcd } = await import('./etcd.js');
  const { onFreePorts } = await import('./free-port.js');
  const etcd = await startEtcd();
  const processes: ComponentProcess[] = [];
  try {
    const api = await onFreePorts(1, async ([port]) => {
      const url = `http://127.0.0.1:${port}`;
      processes.push(await startComponent('kube-apiserver', ['--etcd-servers', etcd.endpoint, '--insecure-port', String(port)], { healthz: `${url}/readyz` }));
      return url;
    });
    return await fn({
      api, etcdPid: etcd.process.pid, processes,
      async start(name, args, opts) {
        const p = await startComponent(name, args, opts);
        processes.push(p);
        return p;
      },
    });
  } finally {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    await etcd.stop();
  }
}
