// How watch events reach the client when they are encoded once and written to many sockets:
// order and framing for many watchers under a burst, HTTP/1.0 clients (no chunking), Table
// watches, and the cut-off of a watcher that stops reading.
import t from 'tap';
import { get } from 'node:http';
import { connect } from 'node:net';
import { configMap, eventually, inProcessServer, type Obj, type WatchEvent } from './http.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

t.test('every one of many watchers gets a burst of concurrent creates whole and in revision order', async (t) => {
  const { api } = await inProcessServer(t);
  const rv = (await api.get(CMS)).body['metadata'].resourceVersion as string;
  // More watchers than a fan-out needs for the apiserver to batch their writes (64).
  const watchers = Array.from({ length: 100 }, () => api.watch(`${CMS}?watch=true&resourceVersion=${rv}`));
  t.teardown(() => { for (const w of watchers) w.close(); });
  for (const w of watchers) t.equal(await w.status, 200);
  const creates = 100;
  const inFlight = 20;
  await Promise.all(Array.from({ length: inFlight }, async (_, k) => {
    for (let i = k; i < creates; i += inFlight) await api.create(CMS, configMap(`c${i}`, undefined, { i: String(i), pad: 'ü'.repeat(i * 20) }));
  }));
  const seen: string[][] = [];
  for (const w of watchers) {
    const events: WatchEvent[] = [];
    while (events.length < creates) {
      const ev = await w.nextChange(10_000);
      if (!ev) throw new Error('watch ended');
      events.push(ev);
    }
    const rvs = events.map((e) => Number(e.object['metadata'].resourceVersion));
    if (rvs.some((r, i) => i > 0 && r <= rvs[i - 1]!)) t.fail(`out of order: ${rvs.join(',')}`);
    for (const e of events) {
      const i = Number(e.object['data'].i);
      if (e.type !== 'ADDED' || e.object['data'].pad !== 'ü'.repeat(i * 20)) t.fail(`event ${e.type} ${e.object['metadata'].name} mangled`);
    }
    seen.push(events.map((e) => e.object['metadata'].name as string));
  }
  t.equal(new Set(seen.map((s) => s.join())).size, 1, 'all watchers saw the same sequence');
  t.equal(new Set(seen[0]).size, creates, 'each create once');
});

t.test('an HTTP/1.0 watcher gets bare newline-delimited JSON until the watch ends and the connection closes', async (t) => {
  const { api, server } = await inProcessServer(t);
  await api.create(CMS, configMap('before'));
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.write(`GET ${CMS}?watch=true&timeoutSeconds=2 HTTP/1.0\r\nHost: ${url.host}\r\n\r\n`);
  const received: Buffer[] = [];
  socket.on('data', (b: Buffer) => received.push(b));
  const closed = new Promise((r) => socket.once('close', r));
  // Once the watch has answered, a write it must deliver.
  await eventually(async () => Buffer.concat(received).includes('"before"') || undefined, 'the first event');
  await api.create(CMS, configMap('during', undefined, { note: 'ü' }));
  await closed;
  const text = Buffer.concat(received).toString('utf8');
  const [head, body] = text.split('\r\n\r\n') as [string, string];
  t.match(head, /^HTTP\/1\.1 200 OK/);
  t.notMatch(head, /transfer-encoding/i, 'not chunked');
  const events = body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as WatchEvent);
  t.same(events.map((e) => `${e.type} ${e.object['metadata'].name}`), ['ADDED before', 'ADDED during']);
  t.equal(events[1]!.object['data'].note, 'ü');
});

t.test('a Table watch sends Table rows, with the column definitions only in the first event', async (t) => {
  const { api, server } = await inProcessServer(t);
  await api.create(CMS, configMap('a'));
  const res = await fetch(`${server.url}${CMS}?watch=true&timeoutSeconds=2`, { headers: { accept: TABLE } });
  t.match(res.headers.get('content-type'), /as=Table/);
  const pending = api.create(CMS, configMap('b'));
  const text = await res.text();
  await pending;
  const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; object: Obj });
  t.same(events.map((e) => [e.type, e.object['kind'], e.object['rows'][0].cells[0]]), [['ADDED', 'Table', 'a'], ['ADDED', 'Table', 'b']]);
  t.ok(Array.isArray(events[0]!.object['columnDefinitions']), 'first event: columns');
  t.equal(events[1]!.object['columnDefinitions'], null, 'later events: none');
});

t.test('a watcher that stops reading is cut off once 16 MB pile up, after whole events', async (t) => {
  const { api, server } = await inProcessServer(t);
  const rv = (await api.get(CMS)).body['metadata'].resourceVersion as string;
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    get(`${server.url}${CMS}?watch=true&resourceVersion=${rv}`, resolve).on('error', reject);
  });
  t.equal(res.statusCode, 200);
  // Nothing reads res for now: the socket's buffers fill, then the apiserver's.
  const mb = 'x'.repeat(1024 * 1024);
  const posted = 40;
  let last = '';
  for (let i = 0; i < posted; i++) last = (await api.create(CMS, configMap(`big-${i}`, undefined, { mb })))['metadata'].resourceVersion as string;
  // A list from the watch cache at the last revision answers once the cache has applied it, and
  // so offered every event to the watcher; only then does the test start reading.
  await eventually(async () => ((await api.get(`${CMS}?resourceVersion=${last}&fieldSelector=metadata.name%3Dnone`)).status === 200 || undefined), 'the watch cache to catch up', 30_000);
  let buf = '';
  let events = 0;
  const ended = new Promise<void>((resolve, reject) => {
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as WatchEvent;
        buf = buf.slice(nl + 1);
        if (ev.object['data'].mb !== mb) reject(new Error('a cut event'));
        events++;
      }
    });
    res.on('end', resolve);
    res.on('error', reject);
    setTimeout(() => reject(new Error(`the watch was not cut off (${events} events read)`)), 20_000).unref();
  });
  await ended;
  t.equal(buf, '', 'the stream ends between events');
  t.ok(events >= 16 && events < posted, `cut off after ${events} of ${posted} 1 MB events`);
});
