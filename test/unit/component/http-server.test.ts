// The shared component HTTP server under hostile input: every malformed request gets an HTTP
// error answer, slow clients are cut by the timeouts, bodies are never kept, a throwing
// handler is a 500 without a stack, and the server serves /healthz after each of them.
import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startComponentServer, sendText, type ComponentRoute } from '../../../pkg/component/http-server.js';
import { rawGet, rawRequest } from '../../harness/raw-http.js';

const HOST = 'Host: 127.0.0.1\r\n';

async function start(t: { teardown(fn: () => unknown): void }) {
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const routes: ComponentRoute[] = [
    { path: '/healthz', methods: ['GET'], handler: ({ res }) => sendText(res, 200, 'ok') },
    { path: '/throws', methods: ['GET'], handler: () => { throw new Error('secret internals'); } },
    { path: '/rejects', methods: ['GET'], handler: async () => { await Promise.resolve(); throw new Error('secret internals'); } },
    { path: '/things/', methods: ['GET'], handler: ({ res, segments }) => sendText(res, 200, JSON.stringify(segments)) },
  ];
  const server = await startComponentServer({
    routes, log: pino({ level: 'debug' }, sink), port: 0, address: '127.0.0.1',
    headersTimeoutMs: 200, requestTimeoutMs: 400, maxHeaderSize: 16 * 1024, maxBodyBytes: 64 * 1024,
  });
  t.teardown(() => server.close());
  return { port: server.port, logLines };
}

async function assertServes(t: Test, port: number) {
  const h = await rawGet(port, '/healthz');
  t.equal(h.code, 200, 'still serves /healthz');
  t.equal(h.body, 'ok');
}

t.test('malformed requests get HTTP error answers and the server keeps serving', async (t) => {
  const { port } = await start(t);
  const cases: { name: string; data: string; code: number; body: string }[] = [
    { name: 'an unknown method on a known path', data: `BREW /healthz HTTP/1.1\r\n${HOST}\r\n`, code: 405, body: 'Method Not Allowed\n' },
    { name: 'an unknown method on an unknown path', data: `BREW /pot HTTP/1.1\r\n${HOST}\r\n`, code: 404, body: '404 page not found\n' },
    { name: 'a known method the route does not take', data: `DELETE /healthz HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`, code: 405, body: 'Method Not Allowed\n' },
    { name: 'an unknown path', data: `GET /nope HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`, code: 404, body: '404 page not found\n' },
    { name: 'a bad escape in the path', data: `GET /%zz HTTP/1.1\r\n${HOST}\r\n`, code: 400, body: '400 Bad Request\n' },
    { name: 'a bad escape in a path segment', data: `GET /things/a%zz HTTP/1.1\r\n${HOST}\r\n`, code: 400, body: '400 Bad Request\n' },
    { name: 'a bad request line', data: 'GET\r\n\r\n', code: 400, body: '400 Bad Request\n' },
    { name: 'binary garbage', data: '\x00\x01\x02\xff garbage\r\n\r\n', code: 400, body: '400 Bad Request\n' },
    { name: 'a bad header line', data: `GET /healthz HTTP/1.1\r\n${HOST}no colon here\r\n\r\n`, code: 400, body: '400 Bad Request\n' },
    { name: 'a 100 KB header', data: `GET /healthz HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(100_000)}\r\n\r\n`, code: 431, body: '431 Request Header Fields Too Large\n' },
    { name: 'a declared body over the limit', data: `GET /healthz HTTP/1.1\r\n${HOST}Content-Length: 99999999999\r\n\r\n`, code: 413, body: '413 Request Entity Too Large\n' },
  ];
  for (const c of cases) {
    const a = await rawRequest(port, c.data);
    t.equal(a.code, c.code, c.name);
    t.equal(a.body, c.body, `${c.name}: body`);
    t.match(a.text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/i, `${c.name}: plain text`);
    await assertServes(t, port);
  }
});

t.test('a body of 5,000 nested braces is read and dropped, and the connection stays usable', async (t) => {
  const { port } = await start(t);
  const body = '{'.repeat(5000) + '}'.repeat(5000);
  const a = await rawRequest(port,
    `POST /healthz HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
    + `GET /healthz HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  t.equal(a.code, 405);
  t.match(a.text, /\r\n\r\nMethod Not Allowed\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/, 'the next request on the connection is answered');
});

t.test('a chunked body past the limit cuts the connection', async (t) => {
  const { port } = await start(t);
  const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
  const a = await rawRequest(port, `GET /healthz HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}`, { timeoutMs: 3_000 });
  t.ok(a.closed, 'closed by the server, not by the wait');
  await assertServes(t, port);
});

t.test('slow clients are cut by the header timeout', async (t) => {
  const { port } = await start(t);
  // Headers that never finish (slowloris), and a connection that never sends a byte.
  const slow = await rawRequest(port, `GET /healthz HTTP/1.1\r\n${HOST}X-A: b\r\n`, { timeoutMs: 5_000 });
  t.ok(slow.closed, 'the unfinished request was closed by the server');
  t.equal(slow.code, 408);
  const idle = await rawRequest(port, '', { timeoutMs: 5_000 });
  t.ok(idle.closed, 'the silent connection was closed by the server');
  await assertServes(t, port);
});

t.test('a throwing handler is a 500 without a stack, logged object first', async (t) => {
  const { port, logLines } = await start(t);
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => rejections.push(r);
  process.on('unhandledRejection', onRejection);
  t.teardown(() => { process.off('unhandledRejection', onRejection); });
  for (const path of ['/throws', '/rejects']) {
    const a = await rawGet(port, path);
    t.equal(a.code, 500, path);
    t.equal(a.body, 'Internal Server Error\n');
    t.notMatch(a.text, /secret internals|at .*\.js/, 'no message or stack in the answer');
  }
  const logged = logLines.filter((l) => l['msg'] === 'HTTP handler failed');
  t.equal(logged.length, 2);
  t.match(logged[0], { level: 50, url: '/throws', err: { message: 'secret internals' } });
  t.same(rejections, []);
  await assertServes(t, port);
});

t.test('prefix routes get decoded segments; absolute-form targets route by path', async (t) => {
  const { port } = await start(t);
  const a = await rawGet(port, '/things/a%2Fb/c');
  t.equal(a.body, '["a/b","c"]');
  const abs = await rawRequest(port, `GET http://127.0.0.1/healthz HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  t.equal(abs.code, 200);
  const head = await rawRequest(port, `HEAD /healthz HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  t.equal(head.code, 200);
  t.equal(head.body, '', 'HEAD has no body');
});
