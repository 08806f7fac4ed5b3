// The kubelet server's /containerLogs over the Docker runtime: follow streams lines while the
// container runs and ends when it exits, tailLines/timestamps/limitBytes, and previous logs
// after a restart (the instance before the newest attempt).
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { pino } from 'pino';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import { KubeletServer } from '../../../pkg/kubelet/server/kubelet-server.js';
import { findLogContainer } from '../../../pkg/kubelet/server/find-log-container.js';
import { ensureImage, requireDocker } from '../../harness/docker.js';

const BUSYBOX = 'busybox:1.35';
const run = `${process.pid}-${Date.now().toString(36)}`;

t.test('container logs through the kubelet server', async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage(BUSYBOX);
  const rt = new DockerRuntime({ nodeName: `e2e-logs-${run}` });
  const server = new KubeletServer({
    runtime: rt, address: '127.0.0.1', port: 0, log: pino({ level: 'silent' }),
    findContainer: (ns, pod, c, previous) => findLogContainer(rt, { namespace: ns, name: pod }, c, previous),
  });
  await server.start();
  t.teardown(async () => {
    await server.close();
    for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.id);
    await rt.close();
  });
  const base = `http://127.0.0.1:${server.port}/containerLogs/e2e/logged`;
  const sandboxId = await rt.runSandbox({ metadata: { name: 'logged', namespace: 'e2e', uid: `uid-${run}`, attempt: 0 } });
  const start = async (name: string, attempt: number, script: string) => {
    const id = await rt.createContainer(sandboxId, { metadata: { name, attempt }, image: BUSYBOX, command: ['sh', '-c', script] });
    await rt.startContainer(id);
    return id;
  };
  const waitExit = async (id: string) => {
    for (let i = 0; i < 100 && (await rt.containerStatus(id)).state !== 'exited'; i++) await sleep(100);
  };
  const text = async (url: string) => {
    const r = await request(url);
    return { code: r.statusCode, body: await r.body.text() };
  };

  await t.test('follow streams lines while the container runs and ends when it exits', async (t) => {
    const id = await start('counter', 0, 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 0.3; done');
    const r = await request(`${base}/counter?follow=true`);
    t.equal(r.statusCode, 200);
    const arrivals: { at: number; text: string }[] = [];
    for await (const chunk of r.body) arrivals.push({ at: Date.now(), text: chunk.toString() });
    const all = arrivals.map((a) => a.text).join('');
    t.equal(all, Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join(''), 'every line, then the end of the stream');
    const firstLine = arrivals.find((a) => a.text.includes('line 1\n'))!;
    const lastLine = arrivals.find((a) => a.text.includes('line 10\n'))!;
    t.ok(lastLine.at - firstLine.at >= 1500, 'lines arrived while the container ran, not all at the end');
    t.equal((await rt.containerStatus(id)).state, 'exited');
  });

  await t.test('tailLines, timestamps and limitBytes', async (t) => {
    const id = await start('five', 0, 'for i in 1 2 3 4 5; do echo n$i; done');
    await waitExit(id);
    t.equal((await text(`${base}/five?tailLines=2`)).body, 'n4\nn5\n');
    const stamped = (await text(`${base}/five?timestamps=true&tailLines=1`)).body;
    t.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z n5\n$/);
    t.equal((await text(`${base}/five?limitBytes=5`)).body, 'n1\nn2');
  });

  await t.test('previous shows the instance before the restart', async (t) => {
    const first = await start('app', 0, 'echo first run; exit 1');
    await waitExit(first);
    t.equal((await text(`${base}/app?previous=true`)).code, 404, 'no previous instance yet');
    await start('app', 1, 'echo second run; sleep 3600');
    for (let i = 0; i < 50 && !(await text(`${base}/app`)).body; i++) await sleep(100);
    t.equal((await text(`${base}/app`)).body, 'second run\n');
    t.equal((await text(`${base}/app?previous=true`)).body, 'first run\n');
  });

  await t.test('an unknown container is a 404 Status', async (t) => {
    const r = await text(`${base}/nope`);
    t.equal(r.code, 404);
    t.match(JSON.parse(r.body), { kind: 'Status', code: 404, message: 'container "nope" in pod "logged" is not available' });
    const p = JSON.parse((await text(`${base}/nope?previous=true`)).body) as { message: string };
    t.equal(p.message, 'previous terminated container "nope" in pod "logged" not found');
  });
});
