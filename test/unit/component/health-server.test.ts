// The scheduler's and controller-manager's health/metrics port: healthz/livez/readyz as
// upstream's healthz handler answers them, prom-client's /metrics, Go mux answers for
// unknown paths and methods, and hostile requests that leave it serving.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { startHealthServer } from '../../../pkg/component/health-server.js';
import { rawGet, rawRequest } from '../../harness/raw-http.js';

async function start(t: Test, notReady: () => string | undefined) {
  const registry = new Registry();
  new Gauge({ name: 'leader_election_master_status', help: 'h', labelNames: ['name'], registers: [registry] }).set({ name: 'x' }, 1);
  const server = await startHealthServer({
    port: 0, bindAddress: '127.0.0.1', registry, log: pino({ level: 'silent' }), notReady, headersTimeoutMs: 200, requestTimeoutMs: 400,
  });
  t.teardown(() => server.close());
  return server.port;
}

t.test('healthz and livez answer ok; readyz waits for its check', async (t) => {
  let ready = false;
  const port = await start(t, () => (ready ? undefined : 'informer-sync'));
  for (const path of ['/healthz', '/livez']) {
    const a = await rawGet(port, path);
    t.equal(a.code, 200, path);
    t.equal(a.body, 'ok');
  }
  const notReady = await rawGet(port, '/readyz');
  t.equal(notReady.code, 500);
  t.equal(notReady.body, '[-]informer-sync failed: reason withheld\nreadyz check failed\n');
  ready = true;
  t.equal((await rawGet(port, '/readyz')).code, 200);
});

t.test('metrics are the registry in the Prometheus text format', async (t) => {
  const port = await start(t, () => undefined);
  const a = await rawGet(port, '/metrics');
  t.equal(a.code, 200);
  t.match(a.text, /\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/i);
  t.match(a.body, /^leader_election_master_status\{name="x"\} 1$/m);
});

t.test('hostile requests get Go-style answers and the port keeps serving', async (t) => {
  const port = await start(t, () => undefined);
  const host = 'Host: 127.0.0.1\r\n';
  const braces = '{'.repeat(5000) + '}'.repeat(5000);
  const cases: [string, string, number][] = [
    ['BREW on /healthz', `BREW /healthz HTTP/1.1\r\n${host}\r\n`, 405],
    ['POST on /metrics with 5,000 nested braces', `POST /metrics HTTP/1.1\r\n${host}Connection: close\r\nContent-Length: ${braces.length}\r\n\r\n${braces}`, 405],
    ['an unknown path', `GET /debug/pprof HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 404],
    ['a bad escape', `GET /%zz HTTP/1.1\r\n${host}\r\n`, 400],
    ['a 100 KB header', `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(100_000)}\r\n\r\n`, 431],
    ['headers that never finish', `GET /healthz HTTP/1.1\r\n${host}X-A: b\r\n`, 408],
  ];
  for (const [name, data, code] of cases) {
    const a = await rawRequest(port, data);
    t.equal(a.code, code, name);
    t.ok(a.closed, `${name}: the server closed the connection`);
    const h = await rawGet(port, '/healthz');
    t.equal(h.code, 200, `${name}: still serving`);
  }
  t.equal((await rawGet(port, '/nope')).body, '404 page not found\n');
});
