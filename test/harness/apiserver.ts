// Starts the real kube-apiserver binary (dist/cmd/kube-apiserver/main.js) against an etcd
// under its own prefix, so tests can SIGKILL and restart it. Skips when it isn't built yet.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { onFreePorts } from './free-port.js';
import { pino } from 'pino';
import { buildServer, type ApiServer, type ApiServerOptions } from '../../pkg/apiserver/server.js';
import { EtcdStorage } from '../../pkg/storage/etcd-storage.js';
import { componentEnv, componentNodeArgs } from '../../pkg/component/process-env.js';

export const APISERVER_MAIN = fileURLToPath(new URL('../../cmd/kube-apiserver/main.js', import.meta.url));
export const apiserverBuilt = (): boolean => existsSync(APISERVER_MAIN);

export interface ApiServerProcess {
  url: string;
  process: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new process on the same port, etcd and prefix. */
  restart(): Promise<void>;
}

/** Sends a signal and waits for the process to exit (at once if it already has). */
export async function killAndWait(p: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}

export function startApiServer(etcd: string, prefix: string): Promise<ApiServerProcess> {
  return onFreePorts(1, ([port]) => apiServerOn(etcd, prefix, port!));
}

async function apiServerOn(etcd: string, prefix: string, port: number): Promise<ApiServerProcess> {
  const url = `http://127.0.0.1:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn(process.execPath, componentNodeArgs(APISERVER_MAIN, ['--etcd-servers', etcd, '--etcd-prefix', prefix, '--insecure-port', String(port)]),
      { stdio: ['ignore', 'ignore', 'pipe'], env: componentEnv() });
    let stderr = '';
    proc.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kube-apiserver exited with ${proc.exitCode}: ${stderr}`);
      try { if ((await fetch(`${url}/healthz`)).ok) return proc; } catch { /* not up yet */ }
      if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`kube-apiserver not healthy: ${stderr}`); }
      await sleep(50);
    }
  };
  const handle: ApiServerProcess = {
    url,
    process: await launch(),
    kill: (signal: NodeJS.Signals = 'SIGKILL') => killAndWait(handle.process, signal),
    async restart() { await handle.kill(); handle.process = await launch(); },
  };
  return handle;
}

/** Compacts etcd's history up to now (through its JSON gateway), so older resourceVersions are gone. */
export async function compactEtcd(etcd: string): Promise<number> {
  const range = await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) });
  const revision = Number(((await range.json()) as { header: { revision: string } }).header.revision);
  const res = await fetch(`${etcd}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision, physical: true }) });
  if (!res.ok) throw new Error(`compaction failed: ${res.status} ${await res.text()}`);
  return revision;
}

export interface InProcessApiServer { url: string; server: ApiServer; storage: EtcdStorage; close(): Promise<void> }

/** The apiserver inside the test process: faster to start; for tests that never kill it. */
export type InProcessOptions = Pick<ApiServerOptions, 'maxRequestBytes' | 'serviceAccountSigningKeyFile' | 'serviceAccountIssuer' | 'componentProbes' | 'tokenAuthFile'>;

export async function startInProcessApiServer(etcd: string, prefix: string, opts: InProcessOptions = {}): Promise<InProcessApiServer> {
  const storage = new EtcdStorage([etcd]);
  const server = buildServer({ storage, etcdPrefix: prefix, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }), ...opts });
  await server.bootstrap();
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url, server, storage,
    async close() { await server.close(); await storage.close(); },
  };
}
