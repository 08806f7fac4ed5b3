// Each prober against local servers on 127.0.0.1: results and the exact upstream output text.
import t from 'tap';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { execProbe } from '../../../../pkg/kubelet/probes/exec-probe.js';
import { grpcProbe } from '../../../../pkg/kubelet/probes/grpc-probe.js';
import { httpProbe } from '../../../../pkg/kubelet/probes/http-probe.js';
import { tcpProbe } from '../../../../pkg/kubelet/probes/tcp-probe.js';
import { runProbe } from '../../../../pkg/kubelet/probes/prober.js';
import { ProbeError } from '../../../../pkg/kubelet/probes/probe-result.js';
import { goDuration, goQuote } from '../../../../pkg/kubelet/probes/go-format.js';
import { ContainerNotRunningError, ExecTimeoutError } from '../../../../pkg/kubelet/runtime/runtime-errors.js';
import type { ContainerRuntime, ExecResult } from '../../../../pkg/kubelet/runtime/runtime.js';
import { freePort } from '../../../harness/free-port.js';

async function listen(server: http.Server | http2.Http2Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

t.test('go formatting', async (t) => {
  t.equal(goDuration(1), '1s');
  t.equal(goDuration(90), '1m30s');
  t.equal(goDuration(3600), '1h0m0s');
  t.equal(goDuration(0.5), '500ms');
  t.equal(goQuote('a "b"\n\x01'), '"a \\"b\\"\\n\\x01"');
});

t.test('exec probe', async (t) => {
  const rt = (fn: () => Promise<ExecResult>): Pick<ContainerRuntime, 'exec'> => ({ exec: fn });
  const ok = await execProbe(rt(async () => ({ exitCode: 0, stdout: Buffer.from('fine'), stderr: Buffer.alloc(0) })), 'c', ['true'], 1000);
  t.same(ok, { result: 'success', output: 'fine' });
  const bad = await execProbe(rt(async () => ({ exitCode: 1, stdout: Buffer.from('out '), stderr: Buffer.from('err\n') })), 'c', ['cat', '/x'], 1000);
  t.same(bad, { result: 'failure', output: 'out err\n' }, 'stdout then stderr');
  const slow = await execProbe(rt(async () => { throw new ExecTimeoutError(1000); }), 'c', ['sh', '-c', 'sleep 10'], 1000);
  t.same(slow, { result: 'failure', output: 'command "sh -c sleep 10" timed out' });
  await t.rejects(execProbe(rt(async () => { throw new ContainerNotRunningError('c'); }), 'c', ['true'], 1000), ProbeError);
});

t.test('http probe', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/ok?x=1') { res.end('alive'); return; }
    if (req.url === '/fail') { res.writeHead(500); res.end('secret detail'); return; }
    if (req.url === '/local-redirect') { res.writeHead(302, { location: '/ok?x=1' }); res.end(); return; }
    if (req.url === '/away') { res.writeHead(301, { location: 'http://example.invalid/' }); res.end('moved'); return; }
    if (req.url === '/loop') { res.writeHead(302, { location: '/loop' }); res.end(); return; }
    if (req.url === '/hang') return; // never answers
    res.writeHead(404); res.end();
  });
  const port = await listen(server);
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const c = { ports: [{ name: 'web', containerPort: port }] };

  t.same(await httpProbe({ path: '/ok?x=1', port: 'web', httpHeaders: [{ name: 'x-custom', value: 'v' }] }, c, '127.0.0.1', 1000), { result: 'success', output: 'alive' });
  t.equal(seen[0]?.['user-agent'], 'kube-probe/1.32');
  t.equal(seen[0]?.['accept'], '*/*');
  t.equal(seen[0]?.['x-custom'], 'v');
  t.same(await httpProbe({ path: '/fail', port }, c, '127.0.0.1', 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  t.same(await httpProbe({ path: '/local-redirect', port }, c, '127.0.0.1', 1000), { result: 'success', output: 'alive' }, 'same-host redirect followed');
  t.same(await httpProbe({ path: '/away', port }, c, '127.0.0.1', 1000), { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  t.same(await httpProbe({ path: '/loop', port }, c, '127.0.0.1', 1000),
    { result: 'failure', output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects` });
  t.same(await httpProbe({ path: '/hang', port }, c, '127.0.0.1', 300),
    { result: 'failure', output: `Get "http://127.0.0.1:${port}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  t.same(await httpProbe({ path: '/hang', port, httpHeaders: [{ name: 'Host', value: 'example.com' }] }, c, '127.0.0.1', 100).then((r) => r.result), 'failure');
  t.equal(seen.at(-1)?.host, 'example.com', 'a Host header replaces the host');
  const closed = await freePort();
  t.same(await httpProbe({ port: closed }, c, '127.0.0.1', 1000),
    { result: 'failure', output: `Get "http://127.0.0.1:${closed}": dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  await t.rejects(httpProbe({ port: 'nope' }, c, '127.0.0.1', 1000), { message: 'strconv.Atoi: parsing "nope": invalid syntax' });
});

t.test('http probe reads bare-LF answers as Go does (busybox httpd CGI)', async (t) => {
  const server = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 500 Internal Server Error\n\nbroken\n')));
  const port = await listen(server);
  t.teardown(() => server.close());
  t.same(await httpProbe({ path: '/cgi-bin/fail', port }, {}, '127.0.0.1', 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
});

t.test('tcp probe', async (t) => {
  const server = net.createServer((s) => s.end());
  const port = await listen(server);
  t.teardown(() => server.close());
  t.same(await tcpProbe('127.0.0.1', port, 1000), { result: 'success', output: '' });
  const closed = await freePort();
  t.same(await tcpProbe('127.0.0.1', closed, 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
});

/** A grpc.health.v1 server written against the wire format, as grpc-go answers. */
function healthServer(statusFor: (service: string) => number | 'unimplemented' | 'notfound' | 'hang'): http2.Http2Server {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks).subarray(5);
      const service = body.length > 2 ? body.subarray(2).toString() : '';
      const st = headers[':path'] === '/grpc.health.v1.Health/Check' ? statusFor(service) : 'unimplemented';
      if (st === 'hang') return;
      if (st === 'unimplemented' || st === 'notfound') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': st === 'notfound' ? '5' : '12', 'grpc-message': st === 'notfound' ? 'unknown service' : 'unknown service grpc.health.v1.Health' }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const msg = st === 0 ? Buffer.alloc(0) : Buffer.from([0x08, st]);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(msg.length, 1);
      stream.end(Buffer.concat([head, msg]));
    });
  });
  return server;
}

t.test('grpc probe', async (t) => {
  const server = healthServer((s) => (s === '' ? 1 : s === 'down' ? 2 : s === 'none' ? 'notfound' : s === 'slow' ? 'hang' : 'unimplemented'));
  const port = await listen(server);
  t.teardown(() => server.close());
  t.same(await grpcProbe('127.0.0.1', port, '', 1000), { result: 'success', output: 'service healthy' });
  t.same(await grpcProbe('127.0.0.1', port, 'down', 1000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
  t.same(await grpcProbe('127.0.0.1', port, 'none', 1000), { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' });
  t.same(await grpcProbe('127.0.0.1', port, 'x', 1000),
    { result: 'failure', output: 'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health' });
  t.same(await grpcProbe('127.0.0.1', port, 'slow', 300), { result: 'failure', output: 'timeout: health rpc did not complete within 300ms' });
  const closed = await freePort();
  t.same(await grpcProbe('127.0.0.1', closed, '', 1000),
    { result: 'failure', output: `timeout: failed to connect service "127.0.0.1:${closed}" within 1s: context deadline exceeded` });
});

t.test('runProbe dispatches on the handler and uses the pod IP', async (t) => {
  const server = net.createServer((s) => s.end());
  const port = await listen(server);
  t.teardown(() => server.close());
  const target = { runtime: {} as ContainerRuntime, containerId: 'c', container: { name: 'c' }, podIP: '127.0.0.1' };
  t.equal((await runProbe({ tcpSocket: { port } }, target)).result, 'success');
  await t.rejects(runProbe({}, target), ProbeError);
});
