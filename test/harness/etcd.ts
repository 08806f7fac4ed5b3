// A real etcd for tests. The test runner starts one and exports TSKUBE_TEST_ETCD so every
// test file shares it (each test under its own key prefix); a file run on its own starts its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { onFreePorts } from './free-port.js';

export interface EtcdProcess {
  endpoint: string; process: ChildProcess; dataDir: string;
  /** SIGKILL: the data dir stays, for start(). */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data dir. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function startEtcd(): Promise<EtcdProcess> {
  return onFreePorts(2, async ([clientPort, peerPort]) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tskube-etcd-'));
    try {
      return await etcdOn(dataDir, clientPort!, peerPort!);
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  });
}

async function etcdOn(dataDir: string, clientPort: number, peerPort: number): Promise<EtcdProcess> {
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn('etcd', [
      '--data-dir', dataDir, '--name', 'test',
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `test=http://127.0.0.1:${peerPort}`,
      '--quota-backend-bytes', String(4 * 1024 ** 3), '--log-level', 'error',
      '--unsafe-no-fsync',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}: ${stderr}`);
      try {
        const res = await fetch(`${endpoint}/health`);
        if (res.ok) return proc;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`etcd did not become healthy: ${stderr}`); }
      await sleep(50);
    }
  };
  const signal = async (sig: NodeJS.Signals) => {
    const proc = handle.process;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(sig);
    await exited;
  };
  const handle: EtcdProcess = {
    endpoint, process: await launch(), dataDir,
    kill: () => signal('SIGKILL'),
    async start() { await signal('SIGKILL'); handle.process = await launch(); },
    async stop() {
      await signal('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

interface Teardown { teardown(fn: () => unknown): void }

/**
 * The shared test etcd's endpoint, or a private one stopped at the test's teardown. A test that
 * compacts must use startEtcd instead: compaction drops the history every other test file
 * sharing this etcd may be watching from.
 */
export async function testEtcd(t: Teardown): Promise<string> {
  const shared = process.env['TSKUBE_TEST_ETCD'];
  if (shared) return shared;
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  return etcd.endpoint;
}

/** A key prefix no other test uses, so tests can share one etcd. */
export function uniquePrefix(name = 'test'): string {
  return `/${name}-${randomBytes(6).toString('hex')}`;
}
