// `tskube up`: one cluster from one command. Starts etcd, kube-apiserver, kube-scheduler,
// kube-controller-manager and one kubelet per node as separate child processes, reports each
// as it becomes ready, writes the kubeconfig, and supervises them until SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ADMIN_USER, tokenFileText, writeKubeconfig } from './kubeconfig-writer.js';
import type { UserInfo } from '../api/user-info.js';
import { httpReady, nodeReady } from './readiness.js';
import { isProcessRunning, type ClusterState, type ComponentRecord, type StateDir } from './state-dir.js';
import { Supervisor, type ComponentSpec, type SupervisedProcess, type SupervisorEvent } from './supervisor.js';
import { componentEnv, componentNodeArgs } from '../component/process-env.js';

/** The checkout this module was built from (dist/pkg/launcher/ → three levels up). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CMD_DIR = fileURLToPath(new URL('../../cmd/', import.meta.url));

export const DEFAULT_PORT = 8080;
export const SCHEDULER_PORT = 10259;
export const CONTROLLER_MANAGER_PORT = 10257;
export const KUBELET_PORT = 10250;

const ETCD_READY_TIMEOUT_MS = 30_000;
const APISERVER_READY_TIMEOUT_MS = 60_000;
const COMPONENT_READY_TIMEOUT_MS = 60_000;
const NODE_READY_TIMEOUT_MS = 120_000;

export type Runtime = 'docker' | 'fake';

export interface UpOptions {
  stateDir: StateDir;
  /** Unset: what the state dir recorded, else the defaults (1 node, port 8080, docker). */
  nodes?: number;
  port?: number;
  runtime?: Runtime;
  /** Each line for the user (stdout). */
  print: (line: string) => void;
  /** Aborting it stops the cluster and makes up() resolve. */
  signal: AbortSignal;
  /** Skip deploy/ensure-system.sh (the machine is known to be ready). */
  skipEnsureSystem?: boolean;
}

/**
 * More flags for a component from the environment, e.g.
 * TSKUBE_KUBE_CONTROLLER_MANAGER_ARGS="--node-monitor-grace-period=8s" (tests use short periods).
 */
export function extraArgs(component: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const value = env[`TSKUBE_${component.toUpperCase().replace(/-/g, '_')}_ARGS`];
  return value ? value.split(/\s+/).filter(Boolean) : [];
}

export function nodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'tskube-node' : `tskube-node-${i + 1}`));
}

export function componentMain(name: string): string { return join(CMD_DIR, name, 'main.js'); }

/**
 * etcd's client and peer ports, derived from the apiserver port so two clusters with different
 * --port never clash and the ports need no extra flag: port+1000 and port+1001 (or below the
 * port when that would pass 65535).
 */
export function etcdPortsFor(port: number): { client: number; peer: number } {
  return port + 1001 <= 65535 ? { client: port + 1000, peer: port + 1001 } : { client: port - 1000, peer: port - 999 };
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    // 0.0.0.0 conflicts with a listener on any address, loopback included.
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `preferred` when free, else any free port: two clusters on one machine must not clash. */
async function pickPort(preferred: number, taken: Set<number>): Promise<number> {
  if (!taken.has(preferred) && (await isPortFree(preferred))) { taken.add(preferred); return preferred; }
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (!taken.has(port)) { taken.add(port); return port; }
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function describeExit(e: Extract<SupervisorEvent, { type: 'exited' }>): string {
  if (e.error !== undefined) return `failed to start: ${e.error}`;
  if (e.signal !== null) return `was killed by ${e.signal}`;
  return `exited with code ${e.code ?? '?'}`;
}

/** Runs deploy/ensure-system.sh; its own lines (what it installs or starts) go to stderr. */
async function ensureSystem(steps: string[]): Promise<boolean> {
  const script = join(REPO_ROOT, 'deploy', 'ensure-system.sh');
  if (!existsSync(script)) return true; // an installed package without deploy/: nothing to run
  const child = spawn('bash', [script, ...steps], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  return code === 0;
}

/** Components left running by a launcher that was SIGKILLed: stop them before starting anew. */
export async function killOrphans(state: ClusterState | undefined): Promise<number[]> {
  const killed: number[] = [];
  for (const [name, rec] of Object.entries(state?.components ?? {})) {
    const marker = name === 'etcd' ? 'etcd' : 'main.js';
    if (rec.pid === undefined || !isProcessRunning(rec.pid, marker)) continue;
    try { process.kill(rec.pid, 'SIGTERM'); killed.push(rec.pid); } catch { /* gone already */ }
  }
  const deadline = Date.now() + 15_000;
  while (killed.some((pid) => isProcessRunning(pid, ''))) {
    if (Date.now() > deadline) {
      for (const pid of killed) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return killed;
}

/** Resolves the process exit code once the cluster has been stopped (or failed to start). */
export async function up(opts: UpOptions): Promise<number> {
  const { stateDir, print } = opts;
  const startedAt = Date.now();
  const fail = (msg: string): number => { print(`✗ ${msg}`); return 1; };

  const running = stateDir.runningLauncherPid();
  if (running !== undefined && running !== process.pid) {
    return fail(`a tskube launcher (pid ${running}) already runs this cluster (state dir ${stateDir.root}); stop it with: tskube down --state-dir ${shellQuote(stateDir.root)}`);
  }
  const previous = stateDir.readState();
  const port = opts.port ?? previous?.port ?? DEFAULT_PORT;
  const runtime: Runtime = opts.runtime ?? previous?.runtime ?? 'docker';
  const nodes = nodeNames(opts.nodes ?? previous?.nodes.length ?? 1);
  // etcd keeps its peer URL in its data dir: a resumed cluster keeps its etcd ports.
  const etcdPorts = previous ? { client: previous.etcdClientPort, peer: previous.etcdPeerPort } : etcdPortsFor(port);

  if (!existsSync(componentMain('kube-apiserver'))) {
    return fail(`kube-apiserver is not built (${componentMain('kube-apiserver')} is missing): run npm run build`);
  }
  const missing = ['kube-scheduler', 'kube-controller-manager', 'kubelet'].filter((c) => !existsSync(componentMain(c)));
  for (const c of missing) print(`✗ ${c} is not built (${componentMain(c)} is missing: run npm run build); starting the cluster without it`);

  if (!opts.skipEnsureSystem && !(await ensureSystem(runtime === 'docker' ? ['etcd', 'docker', 'images'] : ['etcd']))) {
    return fail('the system is not ready (deploy/ensure-system.sh failed; see its lines above)');
  }

  await stateDir.create();
  const orphans = await killOrphans(previous);
  if (orphans.length > 0) print(`! stopped ${orphans.length} component(s) left running by a launcher that did not stop cleanly (pids ${orphans.join(', ')})`);

  for (const [what, p] of [['kube-apiserver', port], ['etcd (client)', etcdPorts.client], ['etcd (peer)', etcdPorts.peer]] as const) {
    if (!(await isPortFree(p))) return fail(`port ${p} for ${what} is in use (another cluster? try: tskube status, or --port)`);
  }
  const taken = new Set([port, etcdPorts.client, etcdPorts.peer]);
  const prevPort = (name: string, fallback: number) => previous?.components[name]?.port ?? fallback;
  const schedulerPort = await pickPort(prevPort('kube-scheduler', SCHEDULER_PORT), taken);
  const cmPort = await pickPort(prevPort('kube-controller-manager', CONTROLLER_MANAGER_PORT), taken);
  const kubeletPorts: number[] = [];
  for (const [i, node] of nodes.entries()) kubeletPorts.push(await pickPort(prevPort(`kubelet-${node}`, KUBELET_PORT + i), taken));

  const apiserver = `http://127.0.0.1:${port}`;
  const etcdUrl = `http://127.0.0.1:${etcdPorts.client}`;
  const state: ClusterState = {
    port, etcdClientPort: etcdPorts.client, etcdPeerPort: etcdPorts.peer, nodes, runtime,
    token: previous?.token ?? randomBytes(24).toString('hex'),
    ...(previous?.clusterId ? { clusterId: previous.clusterId } : {}),
    launcherPid: process.pid,
    components: {},
  };
  await writeFile(stateDir.pidFile, `${process.pid}\n`);
  const componentUsers = componentIdentities(nodes);
  state.componentTokens = await writeCredentials(stateDir, apiserver, state.token, componentUsers, previous?.componentTokens ?? {});

  // State writes are chained so concurrent changes land in order.
  let writing: Promise<void> = Promise.resolve();
  const saveState = (procs: SupervisedProcess[]) => {
    state.components = Object.fromEntries(procs.map((p): [string, ComponentRecord] => [p.spec.name, {
      ...(p.pid !== undefined ? { pid: p.pid } : {}),
      ...(p.spec.port !== undefined ? { port: p.spec.port } : {}),
      startedAt: p.startedAt.toISOString(),
      restarts: p.restarts,
    }]));
    const snapshot = structuredClone(state);
    writing = writing.then(() => stateDir.writeState(snapshot)).catch(() => undefined);
  };
  let stopping = false;
  const supervisor: Supervisor = new Supervisor((e) => {
    if (e.type === 'changed') { saveState(supervisor.processes); return; }
    if (stopping) return;
    if (e.type === 'exited') print(`✗ ${e.name} ${describeExit(e)}; restarting in ${seconds(e.restartInMs)} (log: ${e.logPath})`);
    else print(`✓ ${e.name} ready again (${seconds(e.ms)})`);
  });

  const node = process.execPath;
  const spec = (name: string, main: string, args: string[], ready: () => Promise<boolean>, port?: number, stopTimeoutMs?: number): ComponentSpec => ({
    name, command: node, args: componentNodeArgs(componentMain(main), [...args, ...extraArgs(main)]), env: componentEnv(), logPath: stateDir.logPath(name), ready,
    ...(port !== undefined ? { port } : {}), ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
  });

  const waitReady = async (p: SupervisedProcess, timeoutMs: number, label: string): Promise<boolean> => {
    const ok = await p.waitReady(timeoutMs, opts.signal);
    if (ok) print(`✓ ${label} (${seconds(Date.now() - p.startedAt.getTime())})`);
    else if (!opts.signal.aborted) print(`✗ ${p.spec.name} is not ready after ${seconds(timeoutMs)} (log: ${p.spec.logPath})`);
    return ok;
  };

  const shutdown = async (): Promise<void> => {
    stopping = true;
    print('stopping: kubelets (pods keep running), controller-manager, scheduler, apiserver, etcd');
    await supervisor.stopAll();
    delete state.launcherPid;
    saveState(supervisor.processes);
    await writing;
    await rm(stateDir.pidFile, { force: true });
    print('✓ stopped; `tskube up` with the same state dir resumes this cluster');
  };

  try {
    const [etcd] = supervisor.startStage([{
      name: 'etcd', command: 'etcd', logPath: stateDir.logPath('etcd'), port: etcdPorts.client,
      args: [
        '--name', 'tskube', '--data-dir', stateDir.etcdDataDir,
        '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPorts.peer}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPorts.peer}`,
        '--initial-cluster', `tskube=http://127.0.0.1:${etcdPorts.peer}`,
        // kube-apiserver compacts every 5 minutes; ours may not, so etcd bounds its history itself.
        '--auto-compaction-mode', 'periodic', '--auto-compaction-retention', '1h',
        '--logger', 'zap', '--log-outputs', 'stderr',
      ],
      ready: () => httpReady(`${etcdUrl}/health`, /"health":\s*"true"/),
    }]);
    // The apiserver waits for etcd itself, so both start at once.
    const [kubeApiserver] = supervisor.startStage([spec('kube-apiserver', 'kube-apiserver', [
      '--etcd-servers', etcdUrl, '--etcd-prefix', '/registry',
      '--insecure-bind-address', '127.0.0.1', '--insecure-port', String(port),
      '--service-account-signing-key-file', stateDir.serviceAccountKeyPath,
      '--token-auth-file', stateDir.tokenAuthFilePath,
      '--scheduler-healthz-url', `http://127.0.0.1:${schedulerPort}/healthz`,
      '--controller-manager-healthz-url', `http://127.0.0.1:${cmPort}/healthz`,
    ], () => httpReady(`${apiserver}/readyz`, /^ok/), port)]);
    if (!etcd || !kubeApiserver) throw new Error('unreachable: a stage without its process');

    if (!(await waitReady(etcd, ETCD_READY_TIMEOUT_MS, `etcd ready on ${etcdUrl}`))
      || !(await waitReady(kubeApiserver, APISERVER_READY_TIMEOUT_MS, `kube-apiserver ready on ${apiserver}`))) {
      await shutdown();
      return opts.signal.aborted ? 0 : 1;
    }
    await writeKubeconfig(stateDir.kubeconfigPath, apiserver, state.token);
    const clusterId = await clusterIdOf(apiserver);
    if (clusterId) {
      state.clusterId = clusterId;
      saveState(supervisor.processes);
    }

    const controlPlane: ComponentSpec[] = [];
    if (!missing.includes('kube-scheduler')) {
      controlPlane.push(spec('kube-scheduler', 'kube-scheduler', ['--kubeconfig', stateDir.componentKubeconfigPath('kube-scheduler'), '--port', String(schedulerPort)],
        () => httpReady(`http://127.0.0.1:${schedulerPort}/healthz`), schedulerPort));
    }
    if (!missing.includes('kube-controller-manager')) {
      controlPlane.push(spec('kube-controller-manager', 'kube-controller-manager', ['--kubeconfig', stateDir.componentKubeconfigPath('kube-controller-manager'), '--port', String(cmPort)],
        () => httpReady(`http://127.0.0.1:${cmPort}/healthz`), cmPort));
    }
    const kubelets: ComponentSpec[] = missing.includes('kubelet') ? [] : nodes.map((n, i) => {
      const kport = kubeletPorts[i] ?? KUBELET_PORT + i;
      return spec(`kubelet-${n}`, 'kubelet', [
        '--kubeconfig', stateDir.componentKubeconfigPath(`kubelet-${n}`), '--node-name', n, '--port', String(kport),
        '--runtime', runtime, '--root-dir', stateDir.kubeletRootDir(n),
      ], async () => (await httpReady(`http://127.0.0.1:${kport}/healthz`)) && nodeReady(apiserver, n), kport,
      // The kubelet leaves pods running on SIGTERM; give its last status writes time.
      15_000);
    });
    const cpProcs = supervisor.startStage(controlPlane);
    const kubeletProcs = supervisor.startStage(kubelets);

    const results = await Promise.all([
      ...cpProcs.map((p) => waitReady(p, COMPONENT_READY_TIMEOUT_MS, `${p.spec.name} ready on :${p.spec.port ?? '?'}`)),
      ...kubeletProcs.map((p, i) => waitReady(p, NODE_READY_TIMEOUT_MS, `node ${nodes[i] ?? '?'} Ready`)),
    ]);

    if (!opts.signal.aborted) {
      const kc = shellQuote(stateDir.kubeconfigPath);
      const incomplete = missing.length > 0 || results.includes(false);
      print(`${incomplete ? '! tskube is running, incomplete' : 'tskube is running'} (${seconds(Date.now() - startedAt)}): state ${stateDir.root}, logs ${stateDir.logsDir}/`);
      print(`  kubectl --kubeconfig ${kc} get nodes`);
      print(`  export KUBECONFIG=${kc}`);
      print(`  curl ${apiserver}/api/v1/nodes`);
      print('Ctrl-C stops the cluster (pods keep running); `tskube up` with the same state dir resumes it.');
    }
    if (!opts.signal.aborted) await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true }));
    await shutdown();
    return 0;
  } catch (e) {
    print(`✗ launcher error: ${(e as Error).stack ?? String(e)}`);
    await shutdown();
    return 1;
  }
}

/** Who each component is to the apiserver: upstream's well-known users, one per kubelet node. */
export function componentIdentities(nodes: readonly string[]): { component: string; user: UserInfo }[] {
  return [
    { component: 'kube-scheduler', user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] } },
    { component: 'kube-controller-manager', user: { name: 'system:kube-controller-manager', groups: ['system:authenticated'] } },
    ...nodes.map((n) => ({ component: `kubelet-${n}`, user: { name: `system:node:${n}`, groups: ['system:nodes', 'system:authenticated'] } })),
  ];
}

/**
 * Writes the apiserver's token file (the admin token and one per component, each kept from the
 * previous run when there was one) and each component's kubeconfig; returns the components' tokens.
 */
export async function writeCredentials(stateDir: StateDir, server: string, adminToken: string,
  components: readonly { component: string; user: UserInfo }[], previous: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const c of components) tokens[c.user.name] = previous[c.user.name] ?? randomBytes(24).toString('hex');
  const entries = [{ token: adminToken, user: ADMIN_USER }, ...components.map((c) => ({ token: tokens[c.user.name]!, user: c.user }))];
  await writeFile(stateDir.tokenAuthFilePath, tokenFileText(entries), { mode: 0o600 });
  for (const c of components) await writeKubeconfig(stateDir.componentKubeconfigPath(c.component), server, tokens[c.user.name]!, c.user.name);
  return tokens;
}

/** The cluster's identity as the kubelets see it (the kube-system namespace's uid); undefined if it cannot be read. */
async function clusterIdOf(apiserver: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${apiserver}/api/v1/namespaces/kube-system`, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? ((await res.json()) as { metadata?: { uid?: string } }).metadata?.uid : undefined;
  } catch {
    return undefined;
  }
}
