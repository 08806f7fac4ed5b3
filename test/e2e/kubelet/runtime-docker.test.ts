// DockerRuntime against the real Docker Engine: networking, exec, cgroup limits, OOM,
// graceful stop, logs, node isolation, security context and image pulls.
// Needs dockerd and the offline images from deploy/images/build-images.sh.
import t from 'tap';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import type { ContainerConfig, PodSandboxConfig, RuntimeContainerStatus } from '../../../pkg/kubelet/runtime/runtime.js';
import {
  ContainerNotFoundError, ContainerNotRunningError, ExecTimeoutError, ImageNotFoundError, ImagePullError,
  SandboxNotFoundError,
} from '../../../pkg/kubelet/runtime/runtime-errors.js';
import { freePort } from '../../harness/free-port.js';
import { untilDefined } from '../../harness/until.js';

const BUSYBOX = 'busybox:1.35';
const run = `${process.pid}-${Date.now().toString(36)}`;
const nodeA = `e2e-rt-a-${run}`;
const nodeB = `e2e-rt-b-${run}`;
const rt = new DockerRuntime({ nodeName: nodeA });
const rtB = new DockerRuntime({ nodeName: nodeB });
// Same node name as rt, another cluster.
const rtOtherCluster = new DockerRuntime({ nodeName: nodeA, clusterId: `other-cluster-${process.pid}` });

let podSeq = 0;
function podConfig(extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  const n = podSeq++;
  return { metadata: { name: `p${n}`, namespace: 'e2e', uid: `uid-${run}-${n}`, attempt: 0 }, ...extra };
}

/** A sandbox plus one started busybox container. */
async function startPod(container: Omit<ContainerConfig, 'metadata' | 'image'> & { image?: string }, pod: Partial<PodSandboxConfig> = {}) {
  const sandboxId = await rt.runSandbox(podConfig(pod));
  const id = await rt.createContainer(sandboxId, { metadata: { name: 'main', attempt: 0 }, image: BUSYBOX, ...container });
  await rt.startContainer(id);
  return { sandboxId, id };
}

const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000) => untilDefined(what, fn, timeoutMs, 50);

async function exited(id: string): Promise<RuntimeContainerStatus> {
  return until(`container ${id} to exit`, async () => {
    const s = await rt.containerStatus(id);
    return s.state === 'exited' ? s : undefined;
  });
}

async function sh(id: string, script: string) {
  const r = await rt.exec(id, ['sh', '-c', script], { timeoutMs: 10_000 });
  return { exitCode: r.exitCode, stdout: r.stdout.toString().trim(), stderr: r.stderr.toString().trim() };
}

async function preflight(): Promise<string | undefined> {
  try {
    await rt.version();
  } catch (err) {
    return `Docker is not reachable on /var/run/docker.sock (${String(err)})`;
  }
  for (const image of [BUSYBOX, 'registry.k8s.io/pause:3.10']) {
    if (!(await rt.imageStatus(image))) return `image ${image} is missing: run deploy/images/build-images.sh`;
  }
  return undefined;
}

const problem = await preflight();
if (problem) {
  await rt.close();
  await rtB.close();
  // Only a machine without Docker may skip, and never in CI.
  if (problem.startsWith('Docker is not reachable') && process.env['CI'] !== 'true') {
    t.plan(0, `skipping the Docker runtime e2e tests: ${problem}`);
  } else {
    t.fail(problem);
  }
} else {
  const tmpDirs: string[] = [];
  t.teardown(async () => {
    for (const r of [rt, rtB, rtOtherCluster]) {
      for (const s of await r.listSandboxes()) await r.removeSandbox(s.id);
      for (const c of await r.listContainers()) await r.removeContainer(c.id);
      await r.close();
    }
    for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
  });

  t.test('a sandbox gets an IP and an httpd in it answers on that IP and on its loopback hostPort', async (t) => {
    const hostPort = await freePort();
    const { sandboxId, id } = await startPod(
      { command: ['sh', '-c', 'mkdir -p /www && echo hello-tskube > /www/index.html && exec httpd -f -p 8080 -h /www'] },
      { portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }] },
    );
    const status = await rt.sandboxStatus(sandboxId);
    t.equal(status.state, 'ready');
    t.equal(status.hostNetwork, false);
    t.match(status.ip, /^\d+\.\d+\.\d+\.\d+$/);
    for (const url of [`http://${status.ip}:8080/`, `http://127.0.0.1:${hostPort}/`]) {
      const body = await until(`GET ${url}`, async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        return res.ok ? res.text() : undefined;
      });
      t.equal(body.trim(), 'hello-tskube', url);
    }
    const c = await rt.containerStatus(id);
    t.match(c, { state: 'running', sandboxId, metadata: { name: 'main', attempt: 0 }, image: BUSYBOX });
    t.match(c.imageRef, /^docker(-pullable)?:\/\/sha256:[0-9a-f]{64}$|^docker-pullable:\/\//);
    t.ok(c.startedAt);
    t.same((await rt.listContainers({ sandboxId })).map((x) => x.id), [id]);
  });

  t.test('hostNetwork sandboxes have no pod IP of their own', async (t) => {
    const sandboxId = await rt.runSandbox(podConfig({ hostNetwork: true }));
    const status = await rt.sandboxStatus(sandboxId);
    t.equal(status.hostNetwork, true);
    t.notOk(status.ip);
  });

  t.test('exec returns stdout, stderr and the exit code, takes stdin and times out', async (t) => {
    const { id } = await startPod({ command: ['sleep', '3600'] });
    const r = await rt.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 7']);
    t.equal(r.exitCode, 7);
    t.equal(r.stdout.toString(), 'out\n');
    t.equal(r.stderr.toString(), 'err\n');
    const cat = await rt.exec(id, ['sh', '-c', 'wc -c'], { stdin: 'twelve bytes' });
    t.equal(cat.stdout.toString().trim(), '12');
    const started = Date.now();
    await t.rejects(rt.exec(id, ['sleep', '30'], { timeoutMs: 300 }), ExecTimeoutError);
    // Not a speed check: only that the call gave up before the command could have ended.
    t.ok(Date.now() - started < 29_000, 'exec returned at its timeout, not when the command ended');
    await rt.stopContainer(id, 0);
    await t.rejects(rt.exec(id, ['true']), ContainerNotRunningError);
  });

  t.test('memory and cpu limits land in the cgroup; exceeding memory is OOMKilled with 137', async (t) => {
    const { id } = await startPod({
      command: ['sleep', '3600'],
      resources: { memoryLimitBytes: 32 * 1024 * 1024, cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000 },
    });
    t.equal((await sh(id, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes')).stdout, String(32 * 1024 * 1024));
    t.equal((await sh(id, 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us')).stdout, '50000');
    t.equal((await sh(id, 'cat /sys/fs/cgroup/cpu/cpu.cfs_period_us')).stdout, '100000');
    t.equal((await sh(id, 'cat /sys/fs/cgroup/cpu/cpu.shares')).stdout, '256');

    const hog = await startPod({
      // The string doubles until the cgroup's memory is gone.
      command: ['awk', 'BEGIN { s = "x"; while (1) s = s s }'],
      resources: { memoryLimitBytes: 24 * 1024 * 1024 },
    });
    // Docker records the OOM kill from a cgroup event that may land just after the exit: wait for it.
    const s = await until(`container ${hog.id} to be OOMKilled`, async () => {
      const st = await rt.containerStatus(hog.id);
      return st.state === 'exited' && st.reason === 'OOMKilled' ? st : undefined;
    });
    t.equal(s.reason, 'OOMKilled');
    t.equal(s.exitCode, 137);
    t.ok(s.finishedAt);
  });

  t.test('stop sends SIGTERM first, then SIGKILL at the grace deadline', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tskube-rt-'));
    tmpDirs.push(dir);
    const { id } = await startPod({
      command: ['sh', '-c', 'trap "echo term > /out/term; echo got-TERM" TERM; echo ready; while true; do sleep 0.1; done'],
      mounts: [{ hostPath: dir, containerPath: '/out' }],
    });
    await until('the trap to be installed', async () => {
      for await (const b of rt.logs(id)) if (b.toString().includes('ready')) return true;
      return undefined;
    });
    const started = Date.now();
    await rt.stopContainer(id, 2);
    const elapsed = Date.now() - started;
    t.ok(elapsed >= 1900, `waited the grace period (${elapsed}ms)`);
    t.equal((await readFile(join(dir, 'term'), 'utf8')).trim(), 'term', 'SIGTERM reached the process first');
    const s = await rt.containerStatus(id);
    t.match(s, { state: 'exited', exitCode: 137, reason: 'Error' }, 'then SIGKILL (128 + 9) ended it');

    // With docker-init as PID 1 a plain `sleep` obeys SIGTERM instead of waiting for SIGKILL:
    // it ends with 128 + 15, not 128 + 9.
    const plain = await startPod({ command: ['sleep', '3600'] });
    await rt.stopContainer(plain.id, 30);
    t.match(await rt.containerStatus(plain.id), { state: 'exited', exitCode: 143 }, 'sleep ended on SIGTERM');
  });

  t.test('logs: tail, timestamps, stderr, and follow delivers lines while the container runs', async (t) => {
    const { id } = await startPod({
      command: ['sh', '-c', 'echo first; echo to-stderr >&2; i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done'],
    });
    const read = async (opts: Parameters<typeof rt.logs>[1]) => {
      let text = '';
      for await (const b of rt.logs(id, opts)) text += b.toString();
      return text;
    };
    await until('a few ticks', async () => ((await read({})).includes('tick3') ? true : undefined));
    const all = await read({});
    // stdout and stderr are separate pipes: only each pipe's own order is guaranteed.
    const lines = all.split('\n');
    t.ok(lines.includes('to-stderr'), 'stderr is in the log');
    t.same(lines.filter((l) => l !== 'to-stderr').slice(0, 2), ['first', 'tick0'], 'stdout in order');
    const tail = await read({ tailLines: 2 });
    t.equal(tail.trimEnd().split('\n').length, 2);
    t.match(tail, /^tick\d+\ntick\d+\n$/);
    const stamped = (await read({ tailLines: 3, timestamps: true })).trimEnd().split('\n');
    t.equal(stamped.length, 3);
    for (const line of stamped) t.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z tick\d+$/);
    const since = new Date().toISOString();
    await sleep(300);
    t.notMatch(await read({ sinceTime: since }), /first/, 'sinceTime drops older lines');

    // Follow: lines written after the call started arrive on the open stream.
    const ac = new AbortController();
    const lastBefore = Number(/tick(\d+)\n$/.exec(await read({ tailLines: 1 }))?.[1]);
    const seen: number[] = [];
    const started = Date.now();
    for await (const b of rt.logs(id, { follow: true, tailLines: 0, signal: ac.signal })) {
      for (const m of b.toString().matchAll(/tick(\d+)/g)) seen.push(Number(m[1]));
      if (seen.length >= 3) ac.abort();
    }
    t.ok(seen.length >= 3, `followed ${seen.length} new lines in ${Date.now() - started}ms`);
    t.ok(seen.every((n) => n > lastBefore), 'only lines written after the follow started');
  });

  t.test("a second kubelet's node label hides this node's sandboxes and containers", async (t) => {
    const { sandboxId, id } = await startPod({ command: ['sleep', '3600'] });
    t.ok((await rt.listSandboxes()).some((s) => s.id === sandboxId));
    t.ok((await rt.listContainers()).some((c) => c.id === id));
    t.notOk((await rtB.listSandboxes()).some((s) => s.id === sandboxId));
    t.notOk((await rtB.listContainers()).some((c) => c.id === id));
    await t.rejects(rtB.containerStatus(id), ContainerNotFoundError);
    await t.rejects(rtB.sandboxStatus(sandboxId), SandboxNotFoundError);
    await t.rejects(rtB.stopContainer(id, 0), ContainerNotFoundError);
    await rtB.removeSandbox(sandboxId);
    t.equal((await rt.containerStatus(id)).state, 'running', 'the other kubelet could not touch it');
    const bSandbox = await rtB.runSandbox(podConfig());
    t.same((await rtB.listSandboxes()).map((s) => s.id), [bSandbox]);
    t.notOk((await rt.listSandboxes()).some((s) => s.id === bSandbox));
  });

  t.test('a same-named node of another cluster cannot see or touch this one\'s pods', async (t) => {
    const { sandboxId, id } = await startPod({ command: ['sleep', '3600'] });
    t.notOk((await rtOtherCluster.listSandboxes()).some((s) => s.id === sandboxId));
    t.notOk((await rtOtherCluster.listContainers()).some((c) => c.id === id));
    await t.rejects(rtOtherCluster.containerStatus(id), ContainerNotFoundError);
    await rtOtherCluster.removeSandbox(sandboxId);
    t.equal((await rt.containerStatus(id)).state, 'running', 'the other cluster\'s kubelet could not remove it');
    const theirs = await rtOtherCluster.runSandbox(podConfig());
    t.same((await rtOtherCluster.listSandboxes()).map((s) => s.id), [theirs]);
  });

  t.test('readOnlyRootFilesystem, runAsUser and read-only mounts take effect', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tskube-rt-'));
    tmpDirs.push(dir);
    await chmod(dir, 0o777); // so only the read-only mount can refuse uid 1234's write
    const { id } = await startPod({
      command: ['sleep', '3600'],
      securityContext: { runAsUser: 1234, runAsGroup: 4321, readOnlyRootFilesystem: true },
      mounts: [{ hostPath: dir, containerPath: '/ro', readOnly: true }],
      env: [{ name: 'GREETING', value: 'hi there' }],
      workingDir: '/ro',
    });
    t.equal((await sh(id, 'id -u')).stdout, '1234');
    t.equal((await sh(id, 'id -g')).stdout, '4321');
    const touch = await sh(id, 'touch /etc/x');
    t.not(touch.exitCode, 0);
    t.match(touch.stderr, /Read-only file system/);
    t.match((await sh(id, 'touch /ro/x')).stderr, /Read-only file system/);
    t.equal((await sh(id, 'echo "$GREETING" $(pwd)')).stdout, 'hi there /ro');
  });

  t.test('command replaces the entrypoint and drops the image cmd; args alone replace the cmd', async (t) => {
    const onlyArgs = await startPod({ command: ['echo'], args: ['a', 'b'] });
    t.equal((await exited(onlyArgs.id)).exitCode, 0);
    let out = '';
    for await (const b of rt.logs(onlyArgs.id)) out += b.toString();
    t.equal(out, 'a b\n');
    const fails = await startPod({ command: ['sh', '-c', 'exit 3'] });
    t.match(await exited(fails.id), { exitCode: 3, reason: 'Error' });
    const ok = await startPod({ command: ['true'] });
    t.match(await exited(ok.id), { exitCode: 0, reason: 'Completed' });
  });

  t.test('an absent image fails: pull gives ImagePullError, create gives ImageNotFoundError', async (t) => {
    const err = await rt.pullImage('registry.k8s.io/tskube-does-not-exist:0.0.1').catch((e: unknown) => e);
    t.type(err, ImagePullError);
    t.match((err as Error).message, /Error response from daemon/);
    const sandboxId = await rt.runSandbox(podConfig());
    await t.rejects(
      rt.createContainer(sandboxId, { metadata: { name: 'c', attempt: 0 }, image: 'tskube-does-not-exist:0.0.1' }),
      ImageNotFoundError,
    );
    const present = await rt.imageStatus(BUSYBOX);
    t.match(present, { id: /^sha256:/, repoTags: [BUSYBOX] });
    t.equal(await rt.imageStatus('tskube-does-not-exist:0.0.1'), undefined);
    t.ok((await rt.listImages()).some((i) => i.id === present?.id));
  });

  t.test('remove is idempotent and removes the sandbox with its containers', async (t) => {
    const { sandboxId, id } = await startPod({ command: ['sleep', '3600'] });
    await rt.stopSandbox(sandboxId);
    t.equal((await rt.sandboxStatus(sandboxId)).state, 'notready');
    t.equal((await rt.containerStatus(id)).state, 'exited', 'stopping the sandbox stops its containers');
    await rt.removeSandbox(sandboxId);
    await rt.removeSandbox(sandboxId);
    await rt.stopSandbox(sandboxId);
    await t.rejects(rt.containerStatus(id), ContainerNotFoundError);
    await rt.removeContainer(id);
  });
}
