// Lifecycle hooks against real containers: postStart exec and httpGet run inside the pod,
// a failing postStart reports upstream's message, and preStop runs before SIGTERM (it
// writes to a hostPath before the container's TERM trap does).
import t from 'tap';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import { runHook } from '../../../pkg/kubelet/lifecycle/hooks.js';
import { tcpProbe } from '../../../pkg/kubelet/probes/tcp-probe.js';
import { ensureImage, requireDocker } from '../../harness/docker.js';

const BUSYBOX = 'busybox:1.35';
const run = `${process.pid}-${Date.now().toString(36)}`;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('lifecycle hooks in real containers', async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage(BUSYBOX);
  const rt = new DockerRuntime({ nodeName: `e2e-hooks-${run}` });
  const hostDir = await mkdtemp(join(tmpdir(), 'hooks-e2e-'));
  // Containers may run as anyone; the trap and the CGI write here.
  await chmod(hostDir, 0o777);
  await writeFile(join(hostDir, 'hook.cgi'), '#!/bin/sh\necho "$REQUEST_URI $HTTP_USER_AGENT" >> /host/http-hook\necho "Content-Type: text/plain"\necho\necho ok\n', { mode: 0o755 });
  t.teardown(async () => {
    for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.id);
    await rt.close();
    await rm(hostDir, { recursive: true, force: true });
  });

  const uid = `uid-${run}`;
  const pod: Pod = { metadata: { name: 'hooked', namespace: 'e2e', uid } };
  const sandboxId = await rt.runSandbox({ metadata: { name: 'hooked', namespace: 'e2e', uid, attempt: 0 } });
  const podIP = (await rt.sandboxStatus(sandboxId)).ip;
  const mounts = [{ hostPath: hostDir, containerPath: '/host' }];
  const start = async (name: string, script: string) => {
    const id = await rt.createContainer(sandboxId, { metadata: { name, attempt: 0 }, image: BUSYBOX, command: ['sh', '-c', script], mounts });
    await rt.startContainer(id);
    return id;
  };
  const appId = await start('app', "trap 'echo term >> /host/order; exit 0' TERM; echo started >> /host/order; while true; do sleep 0.1; done");
  await start('web', 'mkdir -p /www/cgi-bin && cp /host/hook.cgi /www/cgi-bin/hook && exec httpd -f -p 8080 -h /www');
  await until('the app to start', async () => ((await readFile(join(hostDir, 'order'), 'utf8')).includes('started') ? true : undefined));
  const ctx = { pod, container: { name: 'app' }, timeoutMs: 10_000, ...(podIP ? { podIP } : {}) };

  await t.test('postStart exec runs in the container', async (t) => {
    await runHook(rt, appId, { exec: { command: ['sh', '-c', 'echo poststart > /tmp/poststart'] } }, ctx);
    const r = await rt.exec(appId, ['cat', '/tmp/poststart']);
    t.equal(r.stdout.toString(), 'poststart\n');
  });

  await t.test('a failing postStart exec reports the exit code and output', async (t) => {
    await t.rejects(runHook(rt, appId, { exec: { command: ['sh', '-c', 'echo oops >&2; exit 3'] } }, ctx), {
      name: 'HookError',
      message: `Exec lifecycle hook ([sh -c echo oops >&2; exit 3]) for Container "app" in Pod "hooked_e2e(${uid})" failed - error: command 'sh -c echo oops >&2; exit 3' exited with 3: oops\n, message: "oops\\n"`,
    });
  });

  await t.test('postStart httpGet reaches the pod with the lifecycle user agent', async (t) => {
    await until('httpd', async () => (await tcpProbe(podIP ?? '', 8080, 1000)).result === 'success' || undefined);
    await runHook(rt, appId, { httpGet: { path: '/cgi-bin/hook?from=hook', port: 8080 } }, ctx);
    t.equal(await readFile(join(hostDir, 'http-hook'), 'utf8'), '/cgi-bin/hook?from=hook kube-lifecycle/1.32\n');
    await t.rejects(runHook(rt, appId, { httpGet: { path: '/x', port: 8099 } }, ctx), {
      message: `HTTP lifecycle hook (/x) for Container "app" in Pod "hooked_e2e(${uid})" failed - error: Get "http://${podIP}:8099/x": dial tcp ${podIP}:8099: connect: connection refused`,
    });
  });

  await t.test('preStop runs before SIGTERM reaches the container', async (t) => {
    await runHook(rt, appId, { exec: { command: ['sh', '-c', 'echo prestop >> /host/order'] } }, ctx);
    await rt.stopContainer(appId, 10);
    t.equal(await readFile(join(hostDir, 'order'), 'utf8'), 'started\nprestop\nterm\n');
    t.equal((await rt.containerStatus(appId)).exitCode, 0, 'the TERM trap ran');
  });

  await t.test('a preStop sleep waits', async (t) => {
    const started = Date.now();
    await runHook(rt, appId, { sleep: { seconds: 1 } }, ctx);
    t.ok(Date.now() - started >= 990);
  });
});
