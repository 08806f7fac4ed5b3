// Lifecycle hooks: which outcomes fail, and the exact messages upstream returns.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { HookError, runHook } from '../../../../pkg/kubelet/lifecycle/hooks.js';
import { ExecTimeoutError } from '../../../../pkg/kubelet/runtime/runtime-errors.js';
import type { ContainerRuntime, ExecResult } from '../../../../pkg/kubelet/runtime/runtime.js';
import { freePort } from '../../../harness/free-port.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
const container = { name: 'c', ports: [{ name: 'http', containerPort: 0 }] };
const rt = (fn: (cmd: string[]) => Promise<ExecResult>): Pick<ContainerRuntime, 'exec'> => ({ exec: (_id, cmd) => fn(cmd) });
const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });

t.test('exec hooks succeed on exit 0 and fail with the exit code and output', async (t) => {
  const ran: string[][] = [];
  await runHook(rt(async (cmd) => { ran.push(cmd); return ok(); }), 'cid', { exec: { command: ['sh', '-c', 'echo hi'] } }, { timeoutMs: 1000, pod, container });
  t.same(ran, [['sh', '-c', 'echo hi']]);
  await t.rejects(
    runHook(rt(async () => ({ exitCode: 2, stdout: Buffer.from('out\n'), stderr: Buffer.from('bad') })), 'cid', { exec: { command: ['sh', '-c', 'exit 2'] } }, { timeoutMs: 1000, pod, container }),
    new HookError('Exec lifecycle hook ([sh -c exit 2]) for Container "c" in Pod "web_default(u1)" failed - error: command \'sh -c exit 2\' exited with 2: bad, message: "out\\nbad"'),
  );
  await t.rejects(
    runHook(rt(async () => { throw new ExecTimeoutError(1000); }), 'cid', { exec: { command: ['sleep', '99'] } }, { timeoutMs: 1000, pod, container }),
    { name: 'HookTimeoutError' },
  );
});

t.test('httpGet hooks ignore the status code and fail on transport errors', async (t) => {
  const paths: string[] = [];
  const server = http.createServer((req, res) => { paths.push(`${req.url} ${req.headers['user-agent']}`); res.writeHead(500); res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  await runHook(rt(async () => ok()), 'cid', { httpGet: { path: '/stop', port: 'http' } }, { podIP: '127.0.0.1', timeoutMs: 1000, pod, container: { name: 'c', ports: [{ name: 'http', containerPort: port }] } });
  t.same(paths, ['/stop kube-lifecycle/1.32']);
  const closed = await freePort();
  await t.rejects(
    runHook(rt(async () => ok()), 'cid', { httpGet: { path: '/stop', port: closed } }, { podIP: '127.0.0.1', timeoutMs: 1000, pod, container }),
    new HookError(`HTTP lifecycle hook (/stop) for Container "c" in Pod "web_default(u1)" failed - error: Get "http://127.0.0.1:${closed}/stop": dial tcp 127.0.0.1:${closed}: connect: connection refused`),
  );
});

t.test('sleep hooks sleep, end early when the container goes, and time out', async (t) => {
  const started = Date.now();
  await runHook(rt(async () => ok()), 'cid', { sleep: { seconds: 0.2 } as never }, { timeoutMs: 5000, pod, container });
  t.ok(Date.now() - started >= 190, 'slept');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await t.rejects(runHook(rt(async () => ok()), 'cid', { sleep: { seconds: 10 } }, { timeoutMs: 5000, signal: ac.signal, pod, container }),
    new HookError('Sleep lifecycle hook (10) for Container "c" in Pod "web_default(u1)" failed - error: container terminated before sleep hook finished'));
  await t.rejects(runHook(rt(async () => ok()), 'cid', { sleep: { seconds: 10 } }, { timeoutMs: 50, pod, container }), { name: 'HookTimeoutError' });
});

t.test('a tcpSocket handler cannot run', async (t) => {
  await t.rejects(runHook(rt(async () => ok()), 'cid', { tcpSocket: { port: 80 } }, { timeoutMs: 1000 }), { message: /^Cannot run handler: invalid handler: / });
});
