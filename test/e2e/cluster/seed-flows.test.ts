// The seeds' flows as a user meets them: `tskube up --nodes 3`, then the real kubectl and
// Docker: deploy, self-healing, scheduling by resources, scale and update, namespaces,
// logs/describe/events, and a stop/start that keeps objects and running pods.
import t from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../harness/free-port.js';
import { requireDocker } from '../../harness/docker.js';
import { until as waitUntil } from '../../harness/until.js';

const run = promisify(execFile);
const TSKUBE = fileURLToPath(new URL('../../../cmd/tskube/main.js', import.meta.url));

interface PodJson { metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string; podIP?: string; containerStatuses?: { containerID?: string; restartCount: number; ready: boolean }[] } }

if (await requireDocker(t)) {
  const stateDir = await mkdtemp(join(tmpdir(), 'tskube-seeds-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'tskube-seeds-kubectl-'));
  const port = await freePort();
  const kubeconfig = join(stateDir, 'kubeconfig');
  const env = {
    ...process.env,
    // Short periods so node failure is noticed in seconds, not minutes.
    TSKUBE_KUBE_CONTROLLER_MANAGER_ARGS: '--node-monitor-grace-period=6s --node-monitor-period=1s',
    TSKUBE_KUBELET_ARGS: '--node-lease-renew-interval=1s --node-status-update-frequency=2s',
  };
  let launcher: ChildProcess | undefined;
  let output = '';

  const up = async (): Promise<void> => {
    output = '';
    launcher = spawn(process.execPath, [TSKUBE, 'up', '--nodes', '3', '--port', String(port), '--state-dir', stateDir, '--skip-system-check'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    launcher.stdout?.on('data', (b: Buffer) => { output += b.toString(); });
    launcher.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
    const deadline = Date.now() + 120_000;
    while (!/tskube is running/.test(output)) {
      if (launcher.exitCode !== null || Date.now() > deadline) throw new Error(`tskube up failed:\n${output}`);
      await sleep(200);
    }
  };
  const down = async (): Promise<void> => {
    const l = launcher;
    if (!l || l.exitCode !== null) return;
    const exited = new Promise((r) => l.once('exit', r));
    l.kill('SIGINT');
    await exited;
  };
  const kubectl = async (...args: string[]): Promise<string> => {
    try {
      return (await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`);
    }
  };
  const pods = async (selector: string, ns = 'default'): Promise<PodJson[]> =>
    (JSON.parse(await kubectl('get', 'pods', '-n', ns, '-l', selector, '-o', 'json')) as { items: PodJson[] }).items;
  // kubectl may fail while the cluster settles (a node stopping, a restart): that is "not yet".
  const until = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000) =>
    waitUntil(what, () => check().catch(() => undefined), timeoutMs, 500) as Promise<T>;
  const runningReady = (list: PodJson[]) => list.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
  const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();

  t.teardown(async () => {
    for (const sig of ['SIGCONT'] as const) for (const pid of stoppedPids) { try { process.kill(pid, sig); } catch { /* gone */ } }
    await down();
    await run(process.execPath, [TSKUBE, 'down', '--purge', '--state-dir', stateDir]).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });
  const stoppedPids: number[] = [];

  const manifest = (name: string, replicas: number, extra: Record<string, unknown> = {}) => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // A short toleration so a lost node's pods move in seconds (the default is 300 s).
          tolerations: [
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
          ],
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'web', image: 'busybox:1.35', command: ['sh', '-c', 'echo hello from $(hostname) > /tmp/index.html; while true; do echo tick; sleep 1; done & httpd -f -p 80 -h /tmp'], ...extra }],
        },
      },
    },
  });
  const apply = async (yamlOrJson: string, ns = 'default') => {
    const file = join(stateDir, `manifest-${Date.now()}.json`);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, yamlOrJson);
    return kubectl('apply', '-n', ns, '-f', file);
  };

  await up();
  t.match(output, /✓ kube-apiserver ready/);
  t.match(output, /✓ node tskube-node-3 Ready/);

  await t.test('1. deployment flow: apply, scheduled, running with pod IPs, rollout status, HTTP answers', async (t) => {
    t.match(await apply(manifest('web', 3)), /deployment.apps\/web created/);
    t.match(await kubectl('rollout', 'status', 'deploy/web', '--timeout=120s'), /successfully rolled out/);
    const wide = await kubectl('get', 'pods', '-o', 'wide', '-l', 'app=web');
    t.equal(wide.split('\n').filter((l) => /Running/.test(l) && /\d+\.\d+\.\d+\.\d+/.test(l) && /tskube-node/.test(l)).length, 3, wide);
    t.match(await kubectl('get', 'rs', '-l', 'app=web'), /web-[a-z0-9]+\s+3\s+3\s+3/);
    const ip = (await pods('app=web'))[0]!.status.podIP!;
    const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(5000) });
    t.match(await res.text(), /^hello from web-/);
  });

  await t.test('2. self-healing: container killed, containers removed, pod deleted, node lost', async (t) => {
    const [first] = runningReady(await pods('app=web'));
    const cid = first!.status.containerStatuses![0]!.containerID!.replace('docker://', '');
    await docker('kill', cid);
    const restarted = await until('restartCount 1', async () => {
      const p = (await pods('app=web')).find((x) => x.metadata.uid === first!.metadata.uid);
      return p && p.status.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].ready ? p : undefined;
    });
    t.equal(restarted.status.containerStatuses?.[0]?.restartCount, 1);

    const all = (await docker('ps', '-aq', '--filter', `label=io.tskube.pod.uid=${first!.metadata.uid}`)).split('\n').filter(Boolean);
    t.ok(all.length >= 2, 'a sandbox and a container');
    await docker('rm', '-f', ...all);
    await until('the pod running again in new containers', async () => {
      const p = (await pods('app=web')).find((x) => x.metadata.uid === first!.metadata.uid);
      const id = p?.status.containerStatuses?.[0]?.containerID?.replace('docker://', '');
      return p?.status.phase === 'Running' && p.status.containerStatuses?.[0]?.ready && id && !all.includes(id);
    });

    await kubectl('delete', 'pod', first!.metadata.name, '--wait=false');
    const replaced = await until('a replacement pod', async () => {
      const ready = runningReady(await pods('app=web'));
      return ready.length === 3 && !ready.some((p) => p.metadata.name === first!.metadata.name) ? ready : undefined;
    });
    t.equal(replaced.length, 3);

    // A node whose kubelet stops answering (SIGSTOP: the launcher would restart a killed one).
    const victim = replaced[0]!.spec.nodeName!;
    const status = JSON.parse((await run(process.execPath, [TSKUBE, 'status', '--state-dir', stateDir, '--output', 'json'])).stdout) as { components: { name: string; pid?: number }[] };
    const pid = status.components.find((c) => c.name === `kubelet-${victim}`)?.pid;
    t.ok(pid, `kubelet of ${victim} found in tskube status`);
    process.kill(pid!, 'SIGSTOP');
    stoppedPids.push(pid!);
    await until(`node ${victim} NotReady/Unknown`, async () => /Unknown|NotReady/.test(await kubectl('get', 'node', victim)));
    const moved = await until('3 ready pods on the other nodes', async () => {
      const ready = runningReady(await pods('app=web'));
      return ready.length === 3 && ready.every((p) => p.spec.nodeName !== victim) ? ready : undefined;
    }, 120_000);
    t.equal(moved.length, 3, `pods moved off ${victim}`);
    process.kill(pid!, 'SIGCONT');
    stoppedPids.length = 0;
    await until(`node ${victim} Ready again`, async () => /\sReady\s/.test(await kubectl('get', 'node', victim)));
  });

  await t.test('3. scheduling by resources: Pending with FailedScheduling, runs once scale frees room', async (t) => {
    await apply(manifest('hog', 3, { resources: { requests: { cpu: '1500m' } } }));
    await until('hog running', async () => runningReady(await pods('app=hog')).length === 3);
    await apply(manifest('late', 1, { resources: { requests: { cpu: '1000m' } } }));
    const describe = await until('FailedScheduling in describe', async () => {
      const out = await kubectl('describe', 'pod', '-l', 'app=late');
      return /FailedScheduling/.test(out) ? out : undefined;
    });
    t.match(describe, /Status:\s+Pending/);
    t.match(describe, /0\/3 nodes are available: .*Insufficient cpu/);
    await kubectl('scale', 'deploy/hog', '--replicas=0');
    await until('late running', async () => runningReady(await pods('app=late')).length === 1);
    await kubectl('delete', 'deploy', 'hog', 'late');
  });

  await t.test('4. scale and update: scale, set image, rollout history and undo', async (t) => {
    t.match(await kubectl('scale', 'deploy/web', '--replicas=6'), /scaled/);
    await until('6 ready', async () => runningReady(await pods('app=web')).length === 6);
    t.match(await kubectl('set', 'image', 'deploy/web', 'web=busybox:latest'), /image updated/);
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=120s');
    const history = await kubectl('rollout', 'history', 'deploy/web');
    t.match(history, /1\s+<none>\n2\s+<none>/);
    t.match(await kubectl('rollout', 'undo', 'deploy/web'), /rolled back/);
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=120s');
    t.match(await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), /^busybox:1\.35$/);
    t.match(await kubectl('rollout', 'history', 'deploy/web'), /2\s+<none>\n3\s+<none>/);
    t.equal((await kubectl('get', 'rs', '-l', 'app=web', '--no-headers')).trim().split('\n').length, 2, 'undo reused the first ReplicaSet');
  });

  await t.test('5. namespaces: same names in two namespaces; deleting one removes everything in it', async (t) => {
    await kubectl('create', 'namespace', 'team-a');
    await kubectl('create', 'namespace', 'team-b');
    await apply(manifest('web', 1), 'team-a');
    await apply(manifest('web', 1), 'team-b');
    await kubectl('create', 'configmap', 'cfg', '-n', 'team-a', '--from-literal=a=1');
    await until('both running', async () => runningReady(await pods('app=web', 'team-a')).length === 1 && runningReady(await pods('app=web', 'team-b')).length === 1);
    t.match(await kubectl('delete', 'namespace', 'team-a', '--timeout=120s'), /deleted/);
    t.notMatch(await kubectl('get', 'ns'), /team-a/);
    t.equal((await pods('app=web', 'team-b')).length, 1, 'the other namespace is untouched');
  });

  await t.test('6. logs -f, describe with events, get events, get all, api-resources, explain', async (t) => {
    const pod = runningReady(await pods('app=web'))[0]!;
    const follow = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, 'logs', '-f', pod.metadata.name]);
    let logs = '';
    follow.stdout.on('data', (b: Buffer) => { logs += b.toString(); });
    await until('two streamed lines', async () => (logs.match(/tick/g)?.length ?? 0) >= 2, 20_000);
    follow.kill();
    t.match(logs, /tick\ntick/);
    t.match(await kubectl('describe', 'pod', pod.metadata.name), /Normal\s+Started\s+.*kubelet\s+Started container web/);
    t.match(await kubectl('describe', 'node', pod.spec.nodeName!), /Ready\s+True/);
    t.match(await kubectl('describe', 'deploy', 'web'), /ScalingReplicaSet/);
    t.match(await kubectl('get', 'events'), /Scheduled/);
    const all = await kubectl('get', 'all');
    t.match(all, /pod\/web-/);
    t.match(all, /deployment.apps\/web/);
    t.match(all, /replicaset.apps\/web-/);
    t.match(await kubectl('api-resources'), /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    t.match(await kubectl('explain', 'pod.spec.containers'), /FIELD: containers <\[\]Container>/);
  });

  await t.test('7. restart safety: Ctrl-C and up again keeps objects and running pods', async (t) => {
    const readyBefore = runningReady(await pods('app=web'));
    const before = readyBefore.map((p) => p.status.containerStatuses![0]!.containerID).sort();
    const restartsBefore = Object.fromEntries(readyBefore.map((p) => [p.metadata.uid, p.status.containerStatuses![0]!.restartCount]));
    await down();
    t.match(output, /stopped/);
    await up();
    const after = await until('pods ready again', async () => {
      const ready = runningReady(await pods('app=web'));
      return ready.length === before.length ? ready : undefined;
    });
    t.same(after.map((p) => p.status.containerStatuses![0]!.containerID).sort(), before, 'same containers, none restarted');
    t.same(Object.fromEntries(after.map((p) => [p.metadata.uid, p.status.containerStatuses![0]!.restartCount])), restartsBefore, 'restart counts unchanged');
    t.match(await kubectl('get', 'deploy', 'web'), /web\s+6\/6/);
  });
}
