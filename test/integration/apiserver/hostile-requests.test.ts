// What Node's HTTP parser and the router refuse before any handler runs, and requests that run
// too long: each is answered with a Kubernetes Status, and the server carries on.
import t, { type Test } from 'tap';
import { connect } from 'node:net';
import pino from 'pino';
import { buildServer, type ApiServerOptions } from '../../../pkg/apiserver/server.js';
import { EtcdStorage } from '../../../pkg/storage/etcd-storage.js';
import type { Storage } from '../../../pkg/storage/storage.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { Api, configMap, eventually } from './http.js';

interface RawReply { status: number; body: Record<string, unknown> | undefined; text: string }

/** Sends bytes as they are and reads until the server closes; fails rather than hangs. */
function rawRequest(url: string, bytes: string | Buffer, timeoutMs = 30_000): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      let parsed: Record<string, unknown> | undefined;
      try { parsed = JSON.parse(body) as Record<string, unknown>; } catch { parsed = undefined; }
      resolve({ status: Number(head.split(' ')[1]), body: parsed, text });
    });
    socket.write(bytes);
  });
}

async function startServer(t: Test, given?: Storage, requestTimeoutSeconds?: number, more: Partial<ApiServerOptions> = {}) {
  const storage = given ?? new EtcdStorage([await testEtcd(t)]);
  const server = buildServer({ storage, etcdPrefix: uniquePrefix(), logger: pino({ level: 'silent' }), ...(requestTimeoutSeconds ? { requestTimeoutSeconds } : {}), ...more });
  await server.bootstrap();
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => { await server.close(); await storage.close(); });
  return { url, api: new Api(url), server };
}

const isStatus = (_body: unknown, code: number, reason: string) =>
  ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });

t.test('requests the HTTP parser or the router refuse are Status answers, and the server carries on', async (t) => {
  const { url, api } = await startServer(t);
  await api.create('/api/v1/namespaces/default/configmaps', configMap('kept'));
  const cases: { name: string; bytes: string; code: number; reason: string }[] = [
    { name: 'an unknown method (BREW)', bytes: 'BREW /api/v1/pods HTTP/1.1\r\nHost: x\r\n\r\n', code: 405, reason: 'MethodNotAllowed' },
    { name: 'a method Node knows but the API does not serve (PROPFIND)', bytes: 'PROPFIND /api/v1/pods HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', code: 405, reason: 'MethodNotAllowed' },
    { name: 'a bad escape in the path', bytes: 'GET /api/v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', code: 400, reason: 'BadRequest' },
    { name: 'a header line without a colon', bytes: 'GET /api/v1/pods HTTP/1.1\r\nHost x\r\n\r\n', code: 400, reason: 'BadRequest' },
    { name: 'headers over 16 KiB', bytes: `GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`, code: 431, reason: 'BadRequest' },
    { name: 'CONNECT', bytes: 'CONNECT 127.0.0.1:6443 HTTP/1.1\r\nHost: x\r\n\r\n', code: 405, reason: 'MethodNotAllowed' },
    { name: 'HTTP/1.1 without Host', bytes: 'GET /api/v1/pods HTTP/1.1\r\nConnection: close\r\n\r\n', code: 400, reason: 'BadRequest' },
    { name: 'an Expect other than 100-continue', bytes: 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nExpect: 999-coffee\r\n\r\n', code: 417, reason: 'BadRequest' },
    { name: 'a body over --max-request-bytes, sent whole with Connection: close', bytes: `POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n${'x'.repeat(4 * 1024 * 1024)}`, code: 413, reason: 'RequestEntityTooLarge' },
    { name: 'a Content-Length that is not a number', bytes: 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', code: 400, reason: 'BadRequest' },
  ];
  for (const c of cases) {
    const reply = await rawRequest(url, c.bytes);
    t.equal(reply.status, c.code, `${c.name}: ${c.code}`);
    t.match(reply.body, isStatus(reply.body, c.code, c.reason), `${c.name}: a Status with reason ${c.reason}`);
  }
  const kept = await api.get('/api/v1/namespaces/default/configmaps/kept');
  t.equal(kept.status, 200, 'the server still serves, and what it stored is intact');
  t.same(kept.body['data'], configMap('kept')['data']);
});

t.test('the body that crashed the apiserver, after a few hundred other requests, is a 400', async (t) => {
  const { url, api } = await startServer(t);
  for (let i = 0; i < 300; i++) await api.get(`/api/v1/namespaces/default/configmaps?labelSelector=a%3D${i}`);
  const body = '{'.repeat(5000) + '}'.repeat(5000);
  const reply = await rawRequest(url, `DELETE /apis/apps/v1/namespaces/default/deployments?labelSelector=x HTTP/1.1\r\nHost: x\r\n`
    + `Content-Type: application/yaml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  t.equal(reply.status, 400);
  t.match(reply.body, { kind: 'Status', reason: 'BadRequest', message: /^yaml parse error: (exceeded max depth of 500|invalid map key)/ });
  t.equal((await api.get('/version')).status, 200, 'the server is still up');
});

t.test('a request still running at --request-timeout is answered 504 Timeout; others are not held up', async (t) => {
  const etcd = new EtcdStorage([await testEtcd(t)]);
  let release: () => void = () => undefined;
  const stuck = new Promise<void>((r) => { release = r; });
  t.teardown(() => release());
  // The storage hangs on one key only, as a read to an etcd that stopped answering would.
  const storage = new Proxy(etcd, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return async (key: string) => { if (key.endsWith('/configmaps/default/stuck')) await stuck; return target.get(key); };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const { api } = await startServer(t, storage, 1);
  const reply = await api.get('/api/v1/namespaces/default/configmaps/stuck?resourceVersion=');
  t.equal(reply.status, 504);
  t.match(reply.body, { kind: 'Status', reason: 'Timeout', code: 504, message: 'Timeout: request did not complete within requested timeout - context deadline exceeded' });
  t.equal((await api.get('/api/v1/namespaces/default/configmaps')).status, 200, 'other requests are served');
  release();
  t.equal((await api.get('/version')).status, 200, 'the late answer of the timed-out request is dropped without harm');
});

t.test('watches are not cut off by the request timeout', async (t) => {
  const { api } = await startServer(t, undefined, 1);
  const w = api.watch('/api/v1/namespaces/default/configmaps?watch=true');
  t.teardown(() => w.close());
  t.equal(await w.status, 200);
  await new Promise((r) => setTimeout(r, 1500));
  await api.create('/api/v1/namespaces/default/configmaps', configMap('after-timeout'));
  const ev = await w.nextChange(10_000);
  t.match(ev, { type: 'ADDED', object: { metadata: { name: 'after-timeout' } } }, 'an event after the timeout still arrives');
});

t.test('a watcher that never reads is cut off once its backlog passes the bound; one that reads gets every event', async (t) => {
  const { url, api } = await startServer(t, undefined, undefined, { watchMaxBufferedBytes: 1024 * 1024 });
  const CMS = '/api/v1/namespaces/default/configmaps';
  const openWatches = async () => Number(/apiserver_longrunning_requests\{verb="WATCH"\} (\d+)/.exec((await api.get('/metrics')).text)?.[1]);
  const reader = api.watch(`${CMS}?watch=true`);
  t.teardown(() => reader.close());
  t.equal(await reader.status, 200);
  const { hostname, port } = new URL(url);
  const stalled = connect(Number(port), hostname);
  t.teardown(() => stalled.destroy());
  stalled.on('error', () => undefined);
  stalled.write(`GET ${CMS}?watch=true HTTP/1.1\r\nHost: x\r\n\r\n`);
  stalled.pause(); // and never reads: the kernel's buffers fill, then the server's
  t.equal(await eventually(async () => ((await openWatches()) === 2 ? true : undefined), 'both watches to be open'), true);
  const data = { big: 'x'.repeat(20 * 1024) };
  let created = 0;
  // Bounded: at most 1,000 events of 20 KB; loopback's socket buffers hold a few MB.
  for (; created < 1000; created++) {
    await api.create(CMS, configMap(`big-${created}`, undefined, data));
    if (created % 50 === 49) {
      for (let i = created - 49; i <= created; i++) {
        const ev = await reader.nextChange(10_000);
        if (ev?.object['metadata']?.name !== `big-${i}`) { t.fail(`event ${i}: ${JSON.stringify(ev?.object['metadata'])}`); return; }
      }
      if ((await openWatches()) === 1) break;
    }
  }
  t.equal(await openWatches(), 1, `the stalled watcher was cut off by the server, after ${created + 1} events of 20 KB`);
  t.ok(created < 1000, 'before the test ran out of events');
  t.pass('the watcher that reads got every event, in order, and is still open');
});

t.test('lists wait for the list memory budget rather than all building their responses at once', async (t) => {
  const { api, server } = await startServer(t, undefined, undefined, { maxListBytesInflight: 1 });
  const CMS = '/api/v1/namespaces/default/configmaps';
  for (let i = 0; i < 20; i++) await api.create(CMS, configMap(`c-${i}`));
  // Load the cache, which sizes lists.
  t.equal((await api.get(`${CMS}?resourceVersion=0`)).status, 200);
  const store = server.stores.get('', 'v1', 'configmaps')!;
  t.ok((store.cache.objectBytes ?? 0) > 1000, 'the cache knows what a full list weighs');
  const replies = await Promise.all(Array.from({ length: 30 }, () => api.get(CMS)));
  t.same([...new Set(replies.map((r) => r.status))], [200], 'thirty concurrent lists, each alone within the budget, all succeed');
  t.same(replies.map((r) => r.body['items'].length), replies.map(() => 20));
});
