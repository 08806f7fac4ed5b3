// The cold-start benchmark: milliseconds from running `tskube up` on an empty state dir to the
// real kubectl listing every node as Ready — what a user waits for before the first command.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { componentMain, type Runtime } from './launcher.js';
import { isNodeReady } from './readiness.js';

const run = promisify(execFile);

export interface ColdStartOptions {
  nodes?: number;
  runtime?: Runtime;
  /** The apiserver port; pick a free one. */
  port: number;
  /** Give up after this long (default 180 s). */
  timeoutMs?: number;
  /** Skip deploy/ensure-system.sh (its check is part of a real cold start, so off by default). */
  skipSystemCheck?: boolean;
  /** The kubectl binary (default `kubectl` on PATH). */
  kubectl?: string;
}

export interface ColdStartResult {
  /** From spawning `tskube up` to `kubectl get nodes` showing all nodes Ready. */
  ms: number;
  nodes: string[];
  /** tskube up's output, for the benchmark report. */
  output: string;
}

async function readyNodes(kubectl: string, kubeconfig: string): Promise<string[]> {
  try {
    const { stdout } = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'json', '--request-timeout', '5s'], { timeout: 10_000 });
    const list = JSON.parse(stdout) as { items: { metadata: { name: string }; status?: { conditions?: { type?: string; status?: string }[] } }[] };
    return list.items.filter(isNodeReady).map((n) => n.metadata.name);
  } catch {
    return [];
  }
}

export async function measureColdStart(opts: ColdStartOptions): Promise<ColdStartResult> {
  const nodes = opts.nodes ?? 1;
  const kubectl = opts.kubectl ?? 'kubectl';
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const stateDir = await mkdtemp(join(tmpdir(), 'tskube-coldstart-'));
  const kubeconfig = join(stateDir, 'kubeconfig');
  const tskube = componentMain('tskube');
  const args = [tskube, 'up', '--state-dir', stateDir, '--port', String(opts.port), '--nodes', String(nodes), '--runtime', opts.runtime ?? 'docker'];
  if (opts.skipSystemCheck) args.push('--skip-system-check');

  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tskube up exited with ${child.exitCode} before the nodes were Ready:\n${output}`);
      if (existsSync(kubeconfig)) {
        const ready = await readyNodes(kubectl, kubeconfig);
        if (ready.length >= nodes) return { ms: Math.round(performance.now() - t0), nodes: ready, output };
      }
      if (Date.now() > deadline) throw new Error(`not all ${nodes} node(s) Ready within ${timeoutMs / 1000} s:\n${output}`);
      await sleep(100);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    // The pods of a benchmark cluster are not wanted afterwards.
    await run(process.execPath, [tskube, 'down', '--purge', '--state-dir', stateDir]).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  }
}
