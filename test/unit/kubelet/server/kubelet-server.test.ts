// The kubelet server over a scripted runtime: health, metrics, log options passed through,
// limitBytes, follow streaming and cancellation, error Status bodies, and instance lookup.
import t from 'tap';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { pino } from 'pino';
import { ContainerLogsError, KubeletServer, parseLogOptions } from '../../../../pkg/kubelet/server/kubelet-server.js';
import { findLogContainer } from '../../../../pkg/kubelet/server/find-log-container.js';
import { rawGet, rawRequest } from '../../../harness/raw-http.js';
import type { ContainerRuntime, LogOptions, RuntimeContainer } from '../../../../pkg/kubelet/runtime/runtime.js';

interface Call { id: string; options: LogOptions }

function scriptedRuntime(calls: Call[], following: { aborted: boolean; pulled?: number }): ContainerRuntime {
  return {
    logs(id: string, options: LogOptions = {}) {
      const { signal: _signal, ...rest } = options;
      calls.push({ id, options: rest });
      return (async function* () {
        if (id === 'broken') throw new Error('container "broken" not found');
        if (id === 'chatty') {
          // An endless stream of 64 KiB chunks, counted as they are pulled.
          for (;;) {
            following.pulled = (following.pulled ?? 0) + 1;
            yield Buffer.alloc(64 * 1024, 'x');
            // As a real runtime stream does, let I/O run between chunks.
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        yield Buffer.from('line 1\n');
        yield Buffer.from('line 2\n');
        if (!options.follow) return;
        for (let i = 3; ; i++) {
          try {
            await sleep(20, undefined, { signal: options.signal });
          } catch {
            following.aborted = true;
            return;
          }
          yield Buffer.from(`line ${i}\n`);
        }
      })();
    },
  } as unknown as ContainerRuntime;
}

async function start(t: { teardown(fn: () => unknown): void }) {
  const calls: Call[] = [];
  const following: { aborted: boolean; pulled?: number } = { aborted: false };
  const server = new KubeletServer({
    runtime: scriptedRuntime(calls, following), address: '127.0.0.1', port: 0, log: pino({ level: 'silent' }),
    findContainer: async (ns, pod, c, previous) => {
      if (c === 'waiting') throw new ContainerLogsError(`container "${c}" in pod "${pod}" is waiting to start: ContainerCreating`);
      if (ns !== 'default' || pod !== 'web' || c === 'missing') return undefined;
      if (previous) return c === 'restarted' ? 'old' : undefined;
      return c === 'broken' || c === 'chatty' ? c : 'cid';
    },
    metricsText: async () => '# HELP x y\nx 1\n',
    headersTimeoutMs: 200, requestTimeoutMs: 400,
  });
  await server.start();
  t.teardown(() => server.close());
  return { server, calls, following, base: `http://127.0.0.1:${server.port}` };
}

t.test('healthz and metrics', async (t) => {
  const { base } = await start(t);
  const h = await request(`${base}/healthz`);
  t.equal(h.statusCode, 200);
  t.equal(await h.body.text(), 'ok');
  const m = await request(`${base}/metrics`);
  t.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.equal(await m.body.text(), '# HELP x y\nx 1\n');
});

t.test('logs pass the options through and honour limitBytes', async (t) => {
  const { base, calls } = await start(t);
  const r = await request(`${base}/containerLogs/default/web/c?tailLines=5&timestamps=true&sinceSeconds=30`);
  t.equal(r.statusCode, 200);
  t.match(r.headers['content-type'], /^text\/plain/);
  t.equal(await r.body.text(), 'line 1\nline 2\n');
  t.same(calls[0], { id: 'cid', options: { tailLines: 5, timestamps: true, sinceSeconds: 30 } });
  const cut = await request(`${base}/containerLogs/default/web/c?limitBytes=10`);
  t.equal(await cut.body.text(), 'line 1\nlin');
  const prev = await request(`${base}/containerLogs/default/web/restarted?previous=true`);
  t.equal(prev.statusCode, 200);
  t.equal(calls.at(-1)?.id, 'old');
});

t.test('follow streams until the client goes away', async (t) => {
  const { base, following } = await start(t);
  const ac = new AbortController();
  const r = await request(`${base}/containerLogs/default/web/c?follow=true`, { signal: ac.signal });
  let text = '';
  for await (const chunk of r.body) {
    text += chunk.toString();
    if (text.includes('line 4\n')) break;
  }
  t.match(text, /^line 1\nline 2\nline 3\nline 4\n/);
  ac.abort();
  for (let i = 0; i < 50 && !following.aborted; i++) await sleep(20);
  t.ok(following.aborted, 'the runtime stream was cancelled');
});

t.test('errors are Status bodies with the kubelet messages', async (t) => {
  const { base } = await start(t);
  const status = async (path: string) => {
    const r = await request(`${base}${path}`);
    return { code: r.statusCode, body: await r.body.json() as { message: string; code: number; kind: string } };
  };
  let s = await status('/containerLogs/default/web/missing');
  t.equal(s.code, 404);
  t.same({ kind: s.body.kind, code: s.body.code, message: s.body.message }, { kind: 'Status', code: 404, message: 'container "missing" in pod "web" is not available' });
  s = await status('/containerLogs/default/web/c?previous=true');
  t.equal(s.body.message, 'previous terminated container "c" in pod "web" not found');
  s = await status('/containerLogs/default/web/waiting');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'container "waiting" in pod "web" is waiting to start: ContainerCreating');
  s = await status('/containerLogs/default/web/broken');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'container "broken" not found');
  s = await status('/containerLogs/default/web/c?tailLines=-1');
  t.equal(s.code, 422);
  t.equal(s.body.message, 'Invalid request.');
  s = await status('/containerLogs/default/web/');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'Missing container name.');
});

t.test('parseLogOptions follows PodLogOptions decoding and validation', async (t) => {
  t.same(parseLogOptions({ tail: 'all' }), { previous: false, limitBytes: undefined, options: {} });
  t.same(parseLogOptions({ tail: '3', follow: '1', previous: 'True' }), { previous: true, limitBytes: undefined, options: { follow: true, tailLines: 3 } });
  t.equal(parseLogOptions({ follow: 'yes' }), 'Unable to decode query.');
  t.equal(parseLogOptions({ sinceSeconds: '5', sinceTime: '2024-01-01T00:00:00Z' }), 'Invalid request.');
  t.equal(parseLogOptions({ limitBytes: '0' }), 'Invalid request.');
});

t.test('findLogContainer picks the newest attempt, or the one before it for previous', async (t) => {
  const c = (id: string, attempt: number, uid = 'u1', createdAt = `2024-01-01T00:00:0${attempt}Z`): RuntimeContainer => ({
    id, sandboxId: 's', metadata: { name: 'app', attempt }, pod: { name: 'web', namespace: 'default', uid }, state: 'exited',
    createdAt, image: 'busybox', imageId: 'sha256:x', restartCount: attempt, labels: {}, annotations: {},
  });
  let listed: RuntimeContainer[] = [c('a0', 0), c('a2', 2), c('a1', 1)];
  const rt = { listContainers: async () => listed };
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', false), 'a2');
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', true), 'a1');
  listed = [c('a0', 0)];
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web', uid: 'u1' }, 'app', true), undefined);
  listed = [c('old', 3, 'u-old', '2024-01-01T00:00:00Z'), c('new', 0, 'u-new', '2024-01-02T00:00:00Z')];
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', false), 'new', 'a re-created pod of the same name wins');
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', true), undefined);
});

t.test('bad log query values are 400 or 422 Status answers, never an exception', async (t) => {
  const { base, calls } = await start(t);
  const bad: [string, number][] = [
    ['tailLines=abc', 400], ['tailLines=1e3', 400], ['tailLines=99999999999999999999', 400], ['tailLines=-1', 422],
    ['limitBytes=0', 422], ['limitBytes=-5', 422], ['limitBytes=9223372036854775808', 400],
    ['sinceSeconds=0', 422], ['sinceSeconds=x', 400], ['sinceTime=yesterday', 400], ['sinceTime=2024-01-01', 400],
    ['sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', 422], ['follow=yes', 400], ['previous=%zz', 400], ['tail=ten', 400],
  ];
  for (const [query, code] of bad) {
    const r = await request(`${base}/containerLogs/default/web/c?${query}`);
    const body = await r.body.json() as { kind: string; code: number; message: string };
    t.equal(r.statusCode, code, query);
    t.same({ kind: body.kind, code: body.code }, { kind: 'Status', code }, `${query}: a Status`);
  }
  t.same(calls, [], 'the runtime was never asked');
});

t.test('huge counts are served as "all of it" without overflowing the runtime', async (t) => {
  const { base, calls } = await start(t);
  const r = await request(`${base}/containerLogs/default/web/c?tailLines=9223372036854775807&limitBytes=9223372036854775807&sinceSeconds=9223372036854775807`);
  t.equal(r.statusCode, 200);
  t.equal(await r.body.text(), 'line 1\nline 2\n');
  t.equal(calls[0]?.options.tailLines, Number.MAX_SAFE_INTEGER);
  t.ok(Number.isSafeInteger(calls[0]?.options.sinceSeconds), 'sinceSeconds stays a safe integer');
  t.ok((calls[0]?.options.sinceSeconds ?? 0) * 1000 <= Date.now() + 1000, 'and no further back than the epoch');
});

t.test('a follower that stops reading holds the runtime stream instead of our memory', async (t) => {
  const { base, server, following } = await start(t);
  const path = '/containerLogs/default/web/chatty?follow=true';
  // Read the head and a little of the body, then stop reading (the socket stays open).
  const socket = connect(server.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  const head = await new Promise<string>((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(chunk.toString('latin1'));
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
  t.match(head, /^HTTP\/1\.1 200 /);
  let last = -1;
  for (let i = 0; i < 100 && following.pulled !== last; i++) {
    last = following.pulled ?? 0;
    await sleep(20);
  }
  t.equal(following.pulled, last, 'the server stopped pulling chunks');
  t.ok((following.pulled ?? 0) < 1000, `pulled ${following.pulled} chunks of 64 KiB, not without bound`);
  const h = await request(`${base}/healthz`);
  t.equal(await h.body.text(), 'ok');
});

t.test('hostile requests get Go and go-restful answers and the kubelet keeps serving', async (t) => {
  const { server } = await start(t);
  const host = 'Host: 127.0.0.1\r\n';
  const braces = '{'.repeat(5000) + '}'.repeat(5000);
  const cases: [string, string, number, string][] = [
    ['BREW on a log path', `BREW /containerLogs/default/web/c HTTP/1.1\r\n${host}\r\n`, 405, '405: Method Not Allowed'],
    ['BREW on /healthz', `BREW /healthz HTTP/1.1\r\n${host}\r\n`, 405, 'Method Not Allowed\n'],
    ['POST of 5,000 nested braces to a log path', `POST /containerLogs/default/web/c HTTP/1.1\r\n${host}Connection: close\r\nContent-Length: ${braces.length}\r\n\r\n${braces}`, 405, '405: Method Not Allowed'],
    ['a bad escape', `GET /containerLogs/default/web/%zz HTTP/1.1\r\n${host}\r\n`, 400, '400 Bad Request\n'],
    ['a log path too short', `GET /containerLogs/default HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 404, '404: Page Not Found'],
    ['a log path too long', `GET /containerLogs/default/web/c/d HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 404, '404: Page Not Found'],
    ['an unknown path', `GET /exec/default/web/c HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 404, '404 page not found\n'],
    ['a 100 KB header', `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(100_000)}\r\n\r\n`, 431, '431 Request Header Fields Too Large\n'],
    ['headers that never finish', `GET /healthz HTTP/1.1\r\n${host}X-A: b\r\n`, 408, '408 Request Timeout\n'],
  ];
  for (const [name, data, code, body] of cases) {
    const a = await rawRequest(server.port, data);
    t.equal(a.code, code, name);
    t.equal(a.body, body, `${name}: body`);
    t.ok(a.closed, `${name}: closed`);
    const h = await rawGet(server.port, '/healthz');
    t.equal(h.body, 'ok', `${name}: still serving`);
  }
});
