// docker-compose.yml as a user runs it: build the images, `docker-compose up -d` under its own
// project name and apiserver port, wait for every health check, use the cluster with the real
// kubectl, then `docker-compose down -v`. Without Docker, Compose or buildable images it skips
// (CI fails instead: CI must not pass by skipping).
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isCI, requireDocker } from '../../harness/docker.js';
import { freePort } from '../../harness/free-port.js';
import { REPO_ROOT, componentMain } from '../../../pkg/launcher/launcher.js';

const run = promisify(execFile);
// Building the component image (COPY of node_modules and dist) alone may take two minutes here.
t.setTimeout(600_000);
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const MAX_BUFFER = 16 * 1024 * 1024;

function skipOrFail(t: { plan(n: number, comment?: string): void }, why: string): void {
  if (isCI()) throw new Error(`${why}; CI=true, so this is a failure, not a skip`);
  t.plan(0, why);
}

async function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<string> {
  try {
    return (await run(cmd, args, { cwd: REPO_ROOT, env, maxBuffer: MAX_BUFFER, timeout: timeoutMs })).stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/**
 * The IPv4 addresses listening on a TCP port, read from /proc/net/tcp: checking where the
 * apiserver is bound sends no traffic anywhere (test traffic stays on 127.0.0.1).
 */
async function listenAddresses(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const out: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== '0A') continue; // 0A = LISTEN
    const [hexAddr, hexPort] = local.split(':');
    if (parseInt(hexPort ?? '', 16) !== port || !hexAddr) continue;
    const bytes = hexAddr.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
    out.push(bytes.join('.'));
  }
  return out;
}

t.test('docker-compose up starts a healthy cluster kubectl can use; down -v removes it', async (t) => {
  if (!(await requireDocker(t))) return;
  if (!(await run('docker-compose', ['version']).then(() => true, () => false))) {
    skipOrFail(t, 'docker-compose (v1) is not installed: bash deploy/ensure-system.sh compose'); return;
  }
  try {
    await sh('bash', [join(REPO_ROOT, 'deploy/images/build-images.sh'), 'node', 'etcd'], process.env, 600_000);
  } catch (e) {
    skipOrFail(t, `the base images tskube/node:20 and tskube/etcd:3.4 cannot be built: ${(e as Error).message.split('\n')[0] ?? ''}`); return;
  }
  const full = ['kube-scheduler', 'kube-controller-manager', 'kubelet'].every((c) => existsSync(componentMain(c)));
  const services = full ? [] : ['etcd', 'kube-apiserver'];
  t.comment(full ? 'all components built: the whole compose file' : 'scheduler, controller-manager or kubelet not built yet: etcd and kube-apiserver only');

  const project = `tskube-e2e-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const node = `${project}-node`;
  const rootDir = await mkdtemp(join(tmpdir(), 'tskube-compose-kubelet-'));
  const env = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    COMPOSE_FILE,
    TSKUBE_PORT: String(port),
    TSKUBE_NODE_NAME: node,
    TSKUBE_ETCD_PORT: String(await freePort()),
    TSKUBE_ETCD_PEER_PORT: String(await freePort()),
    TSKUBE_SCHEDULER_PORT: String(await freePort()),
    TSKUBE_CONTROLLER_MANAGER_PORT: String(await freePort()),
    TSKUBE_KUBELET_PORT: String(await freePort()),
    TSKUBE_KUBELET_ROOT_DIR: rootDir,
  };
  t.teardown(async () => {
    await sh('docker-compose', ['down', '-v', '--remove-orphans', '-t', '5'], env).catch((e: Error) => t.comment(e.message));
    // The kubelet leaves pods running when it stops, as in Kubernetes: remove its containers.
    const ids = (await sh('docker', ['ps', '-aq', '--filter', `label=io.tskube.node=${node}`]).catch(() => '')).split('\n').filter(Boolean);
    if (ids.length > 0) await sh('docker', ['rm', '-f', '-v', ...ids]).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
  });

  const t0 = Date.now();
  await sh('docker-compose', ['build', 'kube-apiserver'], env, 600_000);
  t.comment(`image built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const t1 = Date.now();
  // up -d itself waits for each depends_on health condition before starting the next service.
  await sh('docker-compose', ['up', '-d', ...services], env, 300_000);

  const expected = full ? ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubelet'] : services;
  const deadline = Date.now() + 180_000;
  let health: Record<string, string> = {};
  for (;;) {
    health = {};
    for (const svc of expected) {
      const id = (await sh('docker-compose', ['ps', '-q', svc], env)).trim();
      health[svc] = id === '' ? 'absent' : (await sh('docker', ['inspect', '-f', '{{.State.Health.Status}}', id])).trim();
    }
    if (Object.values(health).every((s) => s === 'healthy')) break;
    if (Date.now() > deadline) {
      t.fail(`not all healthy within 180 s: ${JSON.stringify(health)}\n${await sh('docker-compose', ['logs', '--tail', '30'], env).catch(() => '')}`);
      return;
    }
    await sleep(500);
  }
  t.pass(`all services healthy ${((Date.now() - t1) / 1000).toFixed(1)}s after up: ${expected.join(', ')}`);

  const server = `http://127.0.0.1:${port}`;
  const kubectl = (...args: string[]) => sh('kubectl', ['--server', server, '--request-timeout', '10s', ...args]);
  t.match(await kubectl('get', 'namespaces'), /kube-system\s+Active/, 'kubectl reaches the apiserver on 127.0.0.1:TSKUBE_PORT');
  t.same(await listenAddresses(port), ['127.0.0.1'], 'the apiserver listens on 127.0.0.1 only');
  if (full) {
    // The apiserver probes the scheduler's and controller-manager's ports that compose was given.
    const cs = await kubectl('get', 'cs');
    for (const c of ['scheduler', 'controller-manager', 'etcd-0']) t.match(cs, new RegExp(`${c}\\s+Healthy\\s+`), `kubectl get cs: ${c} Healthy`);
    const deadlineNodes = Date.now() + 120_000;
    let nodes = '';
    while (!new RegExp(`${node}\\s+Ready`).test(nodes)) {
      if (Date.now() > deadlineNodes) break;
      nodes = await kubectl('get', 'nodes').catch(() => '');
      await sleep(500);
    }
    t.match(nodes, new RegExp(`${node}\\s+Ready`), 'kubectl get nodes shows the kubelet\'s node Ready');

    // The apiserver proxies logs to the kubelet at the node's address: host networking makes
    // the kubelet's 127.0.0.1 reachable from the apiserver.
    await kubectl('run', 'hello', '--image=busybox:1.35', '--restart=Never', '--', 'sh', '-c', 'echo hello-from-compose; sleep 3600');
    const deadlineLogs = Date.now() + 120_000;
    let logs = '';
    while (!logs.includes('hello-from-compose') && Date.now() < deadlineLogs) {
      logs = await kubectl('logs', 'hello').catch(() => '');
      if (!logs.includes('hello-from-compose')) await sleep(500);
    }
    t.match(logs, 'hello-from-compose', 'a pod runs as a sibling container and kubectl logs reaches it through the kubelet');

    // The seeds' deployment flow against the compose cluster: deploy, roll out, answer on a pod IP, scale, delete.
    t.match(await kubectl('create', 'deployment', 'web', '--image=busybox:1.35', '--replicas=2', '--', 'httpd', '-f', '-p', '80', '-h', '/etc'), /deployment.apps\/web created/);
    t.match(await sh('kubectl', ['--server', server, 'rollout', 'status', 'deploy/web', '--timeout=120s']), /successfully rolled out/);
    const wide = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'wide');
    t.equal(wide.split('\n').filter((l) => /Running/.test(l) && new RegExp(node).test(l)).length, 2, wide);
    const ip = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].status.podIP}')).trim();
    const res = await fetch(`http://${ip}/hostname`, { signal: AbortSignal.timeout(5000) });
    t.match(await res.text(), /^web-/, 'an HTTP request to a pod IP answers');
    await kubectl('scale', 'deploy/web', '--replicas=3');
    t.match(await sh('kubectl', ['--server', server, 'rollout', 'status', 'deploy/web', '--timeout=120s']), /successfully rolled out/);
    await sh('kubectl', ['--server', server, 'delete', 'deployment', 'web', '--cascade=background', '--timeout=120s']);
    await sh('kubectl', ['--server', server, 'delete', 'pod', 'hello', '--grace-period=0', '--force']).catch(() => '');
    const deadlineGone = Date.now() + 120_000;
    let remaining = 'x';
    while (remaining && Date.now() < deadlineGone) {
      remaining = (await kubectl('get', 'pods', '--no-headers').catch(() => 'x')).trim();
      if (remaining) await sleep(500);
    }
    t.equal(remaining, '', 'deleting the deployment removes its pods (garbage collector and kubelet)');
  }

  // `docker compose` (no hyphen) works through the v1 shim, installed under a private DOCKER_CONFIG.
  const dockerConfig = await mkdtemp(join(tmpdir(), 'tskube-docker-config-'));
  t.teardown(() => rm(dockerConfig, { recursive: true, force: true }));
  await sh('sh', [join(REPO_ROOT, 'deploy/compose/install-compose-shim.sh'), join(dockerConfig, 'cli-plugins')]);
  const viaShim = await sh('docker', ['compose', 'ps'], { ...env, DOCKER_CONFIG: dockerConfig });
  t.match(viaShim, `${project}_kube-apiserver_1`, '`docker compose ps` lists the project through the shim');

  await sh('docker-compose', ['down', '-v', '-t', '5'], env);
  const left = await sh('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]);
  t.equal(left.trim(), '', 'down -v removed every container of the project');
  const volumes = await sh('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  t.equal(volumes.trim(), '', 'down -v removed etcd\'s volume');
});
