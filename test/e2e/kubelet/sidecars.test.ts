// The kubelet command on real Docker, driven with the real kubectl: `kubectl set image` on a
// bare pod restarts the container (Killing "definition changed", RESTARTS 1); native sidecars
// (init containers with restartPolicy Always) start in order, keep running beside the app,
// count toward readiness through their readiness probe, stop after the app in reverse order,
// and are stopped after the app of a Job-like pod, which completes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { requireDocker } from '../../harness/docker.js';
import { podUntil, startKubeletOnDocker, until } from './kubelet-harness.js';

const exec = promisify(execFile);
const NS = 'default';
const run = `${process.pid}-${Date.now().toString(36)}`;
const nodeName = `e2e-sidecars-${run}`;
/** A second tag of the offline busybox image, so the image can change without a registry. */
const OTHER_TAG = `busybox:set-image-${run}`;
/** Exits at once on SIGTERM (PID 1 ignores signals it has no handler for). */
const LOOP = 'trap "exit 0" TERM; while true; do sleep 0.2; done';
/** Records in /host/stopped when it got SIGTERM, after a pause: a container stopped too early shows up first. */
const recordStop = (name: string, pauseSeconds: number) => `trap "sleep ${pauseSeconds}; echo ${name} >> /host/stopped; exit 0" TERM; while true; do sleep 0.2; done`;
const hostMount = { volumeMounts: [{ name: 'host', mountPath: '/host' }] };

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox:1.35', command: ['sh', '-c', script], ...extra });

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>> & { containers: Container[] }): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { nodeName, terminationGracePeriodSeconds: 5, ...spec } };
}

if (await requireDocker(t)) await main();

async function main(): Promise<void> {
  const { api, client, runtime } = await startKubeletOnDocker(t, nodeName);
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubectl-cache-'));
  const hostDir = await mkdtemp(join(tmpdir(), 'sidecars-e2e-'));
  await chmod(hostDir, 0o777);
  await exec('docker', ['tag', 'busybox:1.35', OTHER_TAG]);
  t.teardown(async () => {
    await exec('docker', ['rmi', OTHER_TAG]).catch(() => undefined);
    await rm(cacheDir, { recursive: true, force: true });
    await rm(hostDir, { recursive: true, force: true });
  });
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await exec('kubectl', ['--server', api.url, '--cache-dir', cacheDir, '-n', NS, ...args], { timeout: 60_000 });
    return stdout;
  };
  const pods = client.resource('pods');
  const containersOf = async (p: Pod) => runtime.listContainers({ podUid: p.metadata?.uid ?? '' });

  await t.test('kubectl set image on a bare pod restarts its container with the new image', async (t) => {
    await pods.create(NS, pod('img', { containers: [sh('c', LOOP)] }));
    const before = await podUntil(client, NS, 'img', 'Running', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
    const oldId = before.status?.containerStatuses?.[0]?.containerID;
    t.match(await kubectl('set', 'image', 'pod/img', `c=${OTHER_TAG}`), /pod\/img image updated/);
    const after = await podUntil(client, NS, 'img', 'restarted with the new image', (p) => {
      const cs = p.status?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.state?.running !== undefined && cs.image === OTHER_TAG;
    });
    const cs = after.status?.containerStatuses?.[0];
    t.not(cs?.containerID, oldId, 'a new container');
    t.match(cs?.lastState?.terminated, { exitCode: 0, containerID: oldId }, 'the old one was stopped');
    const running = (await containersOf(after)).filter((c) => c.state === 'running');
    t.same(running.map((c) => c.image), [OTHER_TAG], 'only the new container runs, from the new image');
    const table = await kubectl('get', 'pod', 'img');
    t.comment(table.trimEnd());
    t.match(table, /^img\s+1\/1\s+Running\s+1 \(\S+ ago\)\s+/m, 'RESTARTS shows the restart');
    const events = await until('the Killing event', async () => {
      const out = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=img,reason=Killing', '-o', 'custom-columns=REASON:.reason,PATH:.involvedObject.fieldPath,MESSAGE:.message');
      return out.includes('definition changed') ? out : undefined;
    }, 10_000);
    t.comment(events.trimEnd());
    t.match(events, /Killing\s+spec\.containers\{c\}\s+Container c definition changed, will be restarted/);
    await pods.delete(NS, 'img', { gracePeriodSeconds: 0 });
  });

  await t.test('sidecars start in order and their readiness counts toward the pod\'s', async (t) => {
    // init-b succeeds only if sidecar-a already runs: the sequence waits for a sidecar to
    // start, not to finish. sidecar-a is ready once the test writes the file its probe reads.
    await pods.create(NS, pod('order', {
      volumes: [{ name: 'host', hostPath: { path: hostDir } }],
      initContainers: [
        sh('sidecar-a', `touch /host/a-started; ${recordStop('sidecar-a', 0)}`, {
          restartPolicy: 'Always', ...hostMount,
          readinessProbe: { exec: { command: ['test', '-f', '/host/a-ready'] }, periodSeconds: 1 },
        }),
        sh('init-b', 'for i in $(seq 50); do test -f /host/a-started && exit 0; sleep 0.1; done; exit 1', hostMount),
        sh('sidecar-c', recordStop('sidecar-c', 0.5), { restartPolicy: 'Always', ...hostMount }),
      ],
      containers: [sh('app', recordStop('app', 1), hostMount)],
    }));
    const unready = await podUntil(client, NS, 'order', 'Running with every container up', (p) => p.status?.phase === 'Running'
      && p.status.containerStatuses?.[0]?.state?.running !== undefined
      && p.status.initContainerStatuses?.[2]?.state?.running !== undefined);
    const inits = unready.status?.initContainerStatuses ?? [];
    t.same(inits.map((s) => s.name), ['sidecar-a', 'init-b', 'sidecar-c'], 'sidecars are listed in initContainerStatuses');
    t.match(inits[0], { ready: false, started: true, restartCount: 0, state: { running: {} } }, 'sidecar-a runs, not ready yet');
    t.match(inits[1], { ready: true, restartCount: 0, state: { terminated: { exitCode: 0 } } }, 'init-b found sidecar-a running: it ran after it');
    t.match(inits[2], { ready: true, started: true, state: { running: {} } }, 'sidecar-c has no readiness probe: ready once started');
    t.match(unready.status?.conditions?.find((c) => c.type === 'Ready'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [sidecar-a]' });
    t.match(unready.status?.conditions?.find((c) => c.type === 'Initialized'), { status: 'True' });
    const a = Date.parse(inits[0]?.state?.running?.startedAt ?? '');
    const c = Date.parse(inits[2]?.state?.running?.startedAt ?? '');
    const app = Date.parse(unready.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '');
    t.ok(a <= c && c <= app, 'sidecar-a, then sidecar-c, then the app');
    t.match(await kubectl('get', 'pod', 'order'), /^order\s+2\/3\s+Running\s+0\s+/m, 'READY counts the sidecars');

    await writeFile(join(hostDir, 'a-ready'), '');
    const ready = await podUntil(client, NS, 'order', 'Ready', (p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true);
    t.match(ready.status?.initContainerStatuses?.[0], { name: 'sidecar-a', ready: true, started: true });
    t.match(await kubectl('get', 'pod', 'order'), /^order\s+3\/3\s+Running\s+0\s+/m);

    // A sidecar that exits is restarted, while the app keeps running.
    const sidecarC = (await containersOf(ready)).find((x) => x.metadata.name === 'sidecar-c' && x.state === 'running');
    await runtime.stopContainer(sidecarC?.id ?? '', 0);
    const restarted = await podUntil(client, NS, 'order', 'sidecar-c restarted', (p) => p.status?.initContainerStatuses?.[2]?.restartCount === 1
      && p.status.initContainerStatuses[2]?.state?.running !== undefined);
    t.equal(restarted.status?.containerStatuses?.[0]?.restartCount, 0, 'the app was left alone');
    t.equal(restarted.status?.phase, 'Running');

    // Deleted: the app stops first, then the sidecars in reverse order, each after the one before.
    await writeFile(join(hostDir, 'stopped'), '');
    await kubectl('delete', 'pod', 'order', '--wait=false');
    await until('the pod to be gone', async () => (await pods.list(NS)).items.some((p) => p.metadata?.name === 'order') ? undefined : true, 30_000);
    t.equal(await readFile(join(hostDir, 'stopped'), 'utf8'), 'app\nsidecar-c\nsidecar-a\n');
  });

  await t.test('a Job-like pod completes when its app exits 0; its sidecar is stopped after it', async (t) => {
    const created = await pods.create(NS, pod('job', {
      restartPolicy: 'Never',
      initContainers: [sh('logger', LOOP, { restartPolicy: 'Always' })],
      containers: [sh('main', 'sleep 2; exit 0')],
    }));
    const done = await podUntil(client, NS, 'job', 'Succeeded', (p) => p.status?.phase === 'Succeeded', 60_000);
    const main = done.status?.containerStatuses?.[0]?.state?.terminated;
    const logger = done.status?.initContainerStatuses?.[0];
    t.match(main, { exitCode: 0, reason: 'Completed' });
    t.match(logger, { name: 'logger', ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }, 'the sidecar was stopped (its TERM trap exits 0), not restarted');
    t.ok(Date.parse(logger?.state?.terminated?.finishedAt ?? '') >= Date.parse(main?.finishedAt ?? ''), 'the sidecar stopped after the app');
    t.match(done.status?.conditions?.find((x) => x.type === 'Ready'), { status: 'False', reason: 'PodCompleted' });
    const table = await kubectl('get', 'pod', 'job');
    t.comment(table.trimEnd());
    t.match(table, /^job\s+0\/2\s+Completed\s+0\s+/m);
    await until('nothing of the pod runs', async () => ((await containersOf(created)).every((x) => x.state !== 'running') ? true : undefined), 15_000);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=job,reason=Killing', '-o', 'custom-columns=PATH:.involvedObject.fieldPath,MESSAGE:.message');
    t.match(events, /spec\.initContainers\{logger\}\s+Stopping container logger/);
  });
}
