// `tskube up` as a user runs it: a child process on a free port with its own state dir,
// checked through its printed lines, `tskube status`, and the real kubectl.
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dockerAvailable } from '../../harness/docker.js';
import { freePort } from '../../harness/free-port.js';
import { COMPONENT_ENV, COMPONENT_NODE_FLAGS } from '../../../pkg/component/process-env.js';
import { componentMain, etcdPortsFor, isPortFree } from '../../../pkg/launcher/launcher.js';
import type { ClusterStatus } from '../../../pkg/launcher/cluster-status.js';
import { isProcessRunning, StateDir } from '../../../pkg/launcher/state-dir.js';

const run = promisify(execFile);
const TSKUBE = componentMain('tskube');
const built = (c: string) => existsSync(componentMain(c));
const hasKubelet = built('kubelet');
const hasWholeCluster = hasKubelet && built('kube-scheduler') && built('kube-controller-manager');

class Launcher {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<unknown[]>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [TSKUBE, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit');
    this.child.stdout?.on('data', (b: Buffer) => { this.output += b.toString(); });
    this.child.stderr?.on('data', (b: Buffer) => { this.output += b.toString(); });
  }

  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output.slice(from));
      if (m) return m[0];
      if (this.child.exitCode !== null) throw new Error(`tskube up exited (${this.child.exitCode}) before printing ${re}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`tskube up did not print ${re} within ${timeoutMs} ms:\n${this.output}`);
      await sleep(50);
    }
  }
}

async function tskube(...args: string[]): Promise<string> {
  return (await run(process.execPath, [TSKUBE, ...args])).stdout;
}

async function status(stateDir: string): Promise<ClusterStatus> {
  // Exit code 3 (not running) is a valid answer too.
  const out = await run(process.execPath, [TSKUBE, 'status', '--output', 'json', '--state-dir', stateDir])
    .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '{}' }));
  return JSON.parse(out.stdout) as ClusterStatus;
}

async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  return (await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout', '10s', ...args], { timeout: 30_000 })).stdout;
}

/** A port whose derived etcd ports are free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const etcd = etcdPortsFor(port);
    if ((await isPortFree(etcd.client)) && (await isPortFree(etcd.peer))) return port;
  }
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v !== undefined) return v; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

t.test('tskube up starts, supervises, stops and resumes a cluster', async (t) => {
  const runtime = hasKubelet && (await dockerAvailable()) ? 'docker' : 'fake';
  const nodes = 2;
  const stateDir = await mkdtemp(join(tmpdir(), 'tskube-launcher-'));
  const port = await clusterPort();
  const kubeconfig = join(stateDir, 'kubeconfig');
  const args = ['--state-dir', stateDir, '--port', String(port), '--nodes', String(nodes), '--runtime', runtime];
  const launchers: Launcher[] = [];
  t.teardown(async () => {
    for (const l of launchers) if (l.child.exitCode === null) { l.child.kill('SIGINT'); await l.exited; }
    await tskube('down', '--purge', '--state-dir', stateDir).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });
  t.comment(`runtime ${runtime}; components built: ${['kube-scheduler', 'kube-controller-manager', 'kubelet'].filter(built).join(', ') || 'apiserver only'}`);

  // ---- first start ----
  const first = new Launcher(args);
  launchers.push(first);
  // The banner's last line: the lines before it may come in a later chunk than "tskube is running".
  await first.waitFor(/Ctrl-C stops the cluster/, 240_000);
  t.match(first.output, /✓ etcd ready on http:\/\/127\.0\.0\.1:\d+ \(\d+\.\ds\)/, 'etcd readiness line with its time');
  t.match(first.output, new RegExp(`✓ kube-apiserver ready on http://127\\.0\\.0\\.1:${port} \\(\\d+\\.\\ds\\)`), 'apiserver readiness line with its URL');
  t.match(first.output, `kubectl --kubeconfig ${kubeconfig} get nodes`, 'prints the kubectl line');
  t.match(first.output, `curl http://127.0.0.1:${port}/`, 'prints the curl line');
  if (hasKubelet) {
    t.match(first.output, /✓ node tskube-node Ready \(\d+\.\ds\)/, 'node readiness line for tskube-node');
    t.match(first.output, /✓ node tskube-node-2 Ready \(\d+\.\ds\)/, 'node readiness line for tskube-node-2');
    const table = await kubectl(kubeconfig, 'get', 'nodes');
    t.match(table, /tskube-node\s+Ready/, 'kubectl shows tskube-node Ready');
    t.match(table, /tskube-node-2\s+Ready/, 'kubectl shows tskube-node-2 Ready');
  } else {
    t.match(first.output, /✗ kubelet is not built/, 'a missing kubelet is reported, not a crash');
    t.match(await kubectl(kubeconfig, 'get', 'namespaces'), /kube-system\s+Active/, 'kubectl works through the written kubeconfig');
  }
  // The apiserver probes the ports the launcher picked for the scheduler and controller-manager.
  const cs = await kubectl(kubeconfig, 'get', 'cs');
  for (const c of ['scheduler', 'controller-manager', 'etcd-0']) t.match(cs, new RegExp(`${c}\\s+Healthy\\s+`), `kubectl get cs: ${c} Healthy`);
  await kubectl(kubeconfig, 'create', 'configmap', 'survivor', '--from-literal=k=v');
  let podContainer: string | undefined;
  if (hasWholeCluster && runtime === 'docker') {
    await kubectl(kubeconfig, 'run', 'sleeper', '--image=busybox:1.35', '--restart=Never', '--', 'sleep', '3600');
    podContainer = await until('pod sleeper Running', 120_000, async () => {
      const pod = JSON.parse(await kubectl(kubeconfig, 'get', 'pod', 'sleeper', '-o', 'json')) as { status?: { phase?: string; containerStatuses?: { containerID?: string }[] } };
      return pod.status?.phase === 'Running' ? pod.status.containerStatuses?.[0]?.containerID : undefined;
    });
  }

  // ---- a killed component is restarted ----
  const before = await status(stateDir);
  t.ok(before.running, 'status: running');
  t.equal(before.kubeconfig, kubeconfig, 'status names the kubeconfig');
  const apiserver = before.components.find((c) => c.name === 'kube-apiserver');
  t.ok(apiserver?.ready && apiserver.pid, 'status: the apiserver runs and is ready');
  const environ = (await readFile(`/proc/${apiserver?.pid ?? 0}/environ`, 'utf8')).split('\0');
  for (const [name, value] of Object.entries(COMPONENT_ENV)) t.ok(environ.includes(`${name}=${value}`), `the apiserver runs with ${name}=${value}`);
  const argv = (await readFile(`/proc/${apiserver?.pid ?? 0}/cmdline`, 'utf8')).split('\0');
  const mainAt = argv.indexOf(componentMain('kube-apiserver'));
  for (const flag of COMPONENT_NODE_FLAGS) t.ok(argv.indexOf(flag) > 0 && argv.indexOf(flag) < mainAt, `the apiserver runs with ${flag}, before its main module`);
  // Service account tokens are signed with the state dir's key, so they outlive the process.
  const tokenKeyId = async () => (JSON.parse(Buffer.from((await kubectl(kubeconfig, 'create', 'token', 'tokens')).split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }).kid;
  await kubectl(kubeconfig, 'create', 'serviceaccount', 'tokens');
  const kidBefore = await tokenKeyId();
  t.ok(kidBefore, 'create token answers a signed token');
  const mark = first.output.length;
  process.kill(apiserver?.pid ?? 0, 'SIGKILL');
  await first.waitFor(/✗ kube-apiserver was killed by SIGKILL; restarting in 1\.0s \(log: .*kube-apiserver\.log\)/, 10_000, mark);
  await first.waitFor(/✓ kube-apiserver ready again/, 60_000, mark);
  const after = await status(stateDir);
  const restarted = after.components.find((c) => c.name === 'kube-apiserver');
  t.not(restarted?.pid, apiserver?.pid, 'a new apiserver process');
  t.equal(restarted?.restarts, 1, 'status counts the restart');
  t.match(await kubectl(kubeconfig, 'get', 'configmap', 'survivor', '-o', 'name'), 'configmap/survivor', 'served again after the restart');
  t.equal(await tokenKeyId(), kidBefore, 'tokens after the restart are signed with the same key');

  // ---- SIGINT stops every child ----
  // A scheduler or controller-manager that lost its lease while the apiserver was down exits
  // (as upstream's do) and is restarted: wait until every component runs again.
  const running = await until('every component to have a pid', 60_000, async () => {
    const s = await status(stateDir);
    return s.components.every((c) => c.pid !== undefined) ? s : undefined;
  });
  const pids = running.components.map((c) => c.pid).filter((p): p is number => p !== undefined);
  t.equal(pids.length, running.components.length, 'every component had a pid');
  first.child.kill('SIGINT');
  const [code] = await first.exited;
  t.equal(code, 0, 'tskube up exits 0 after SIGINT');
  t.match(first.output, /✓ stopped/, 'reports the stop');
  t.same(pids.filter((p) => isProcessRunning(p, '')), [], 'no component process is left');
  t.notOk((await status(stateDir)).running, 'status: not running');

  // ---- the next up resumes the same cluster ----
  const second = new Launcher(['--state-dir', stateDir]); // port, nodes and runtime come from the state dir
  launchers.push(second);
  await second.waitFor(/tskube is running/, 240_000);
  t.match(second.output, `ready on http://127.0.0.1:${port}`, 'resumes on the recorded port');
  t.match(await kubectl(kubeconfig, 'get', 'configmap', 'survivor', '-o', 'jsonpath={.data.k}'), /^v$/, 'objects survive a restart of the cluster');
  if (podContainer !== undefined) {
    const adopted = await until('pod sleeper Running again', 120_000, async () => {
      const pod = JSON.parse(await kubectl(kubeconfig, 'get', 'pod', 'sleeper', '-o', 'json')) as { status?: { phase?: string; containerStatuses?: { containerID?: string }[] } };
      return pod.status?.phase === 'Running' ? pod.status.containerStatuses?.[0]?.containerID : undefined;
    });
    t.equal(adopted, podContainer, 'the kubelet adopted the running container instead of restarting it');
  }

  // ---- down stops it from another process; --purge removes the state ----
  const clusterId = new StateDir(stateDir).readState()?.clusterId;
  t.equal(clusterId, (await kubectl(kubeconfig, 'get', 'namespace', 'kube-system', '-o', 'jsonpath={.metadata.uid}')).trim(),
    'the state records the cluster id the kubelets label their containers with');
  // A container of another cluster whose node has the same name: purge must leave it alone.
  let stranger = '';
  if (runtime === 'docker') {
    stranger = (await run('docker', ['create', '--label', 'io.tskube.node=tskube-node', '--label', `io.tskube.cluster=other-${process.pid}`, 'busybox:1.35', 'true'])).stdout.trim();
    t.teardown(() => run('docker', ['rm', '-f', stranger]).then(() => undefined, () => undefined));
  }
  await tskube('down', '--purge', '--state-dir', stateDir);
  const [code2] = await second.exited;
  t.equal(code2, 0, 'the launcher stopped by `down` exits 0');
  t.notOk(existsSync(stateDir), 'down --purge removed the state dir');
  if (runtime === 'docker') {
    for (const node of ['tskube-node', 'tskube-node-2']) {
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=io.tskube.node=${node}`, '--filter', `label=io.tskube.cluster=${clusterId ?? ''}`]);
      t.equal(stdout.trim(), '', `down --purge removed the pod containers of ${node}`);
    }
    const { stdout } = await run('docker', ['ps', '-aq', '--no-trunc', '--filter', `id=${stranger}`]);
    t.equal(stdout.trim(), stranger, "another cluster's container on a same-named node is left alone");
  }
});

t.test('a second up on a running state dir refuses, naming the running launcher', async (t) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'tskube-launcher-'));
  const port = await clusterPort();
  const first = new Launcher(['--state-dir', stateDir, '--port', String(port), '--runtime', 'fake', '--skip-system-check']);
  t.teardown(async () => {
    if (first.child.exitCode === null) { first.child.kill('SIGINT'); await first.exited; }
    await rm(stateDir, { recursive: true, force: true });
  });
  await first.waitFor(/✓ kube-apiserver ready/, 120_000);
  const second = await run(process.execPath, [TSKUBE, 'up', '--state-dir', stateDir, '--skip-system-check'])
    .then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
  t.equal(second.code, 1, 'exits 1');
  t.match(second.stdout, `already runs this cluster (state dir ${stateDir})`, 'says the state dir is in use');
  t.match(second.stdout, 'tskube down --state-dir', 'says how to stop it');
});
