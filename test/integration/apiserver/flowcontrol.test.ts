// Overload protection over HTTP against real etcd: with priority and fairness, one user
// flooding the server with lists and writes gets 429s while a node (its own priority level)
// keeps being served; with it off, the two max-in-flight limits answer 429 and watches are
// not counted. Seats come back however a request ends.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Pool } from 'undici';
import { buildServer, type ApiServerOptions } from '../../../pkg/apiserver/server.js';
import { EtcdStorage } from '../../../pkg/storage/etcd-storage.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { configMap } from './http.js';

const NODE_TOKEN = 'node-n1-token';
const CMS = '/api/v1/namespaces/default/configmaps';

async function serve(t: { teardown(fn: () => unknown): void }, opts: Partial<ApiServerOptions>): Promise<string> {
  const etcd = await testEtcd(t);
  const dir = mkdtempSync(join(tmpdir(), 'tskube-fc-'));
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${NODE_TOKEN},system:node:n1,uid-n1,"system:nodes"\n`);
  const storage = new EtcdStorage([etcd]);
  const server = buildServer({ storage, etcdPrefix: uniquePrefix('flowcontrol'), logger: pino({ level: 'silent' }), tokenAuthFile: tokenFile, ...opts });
  await server.bootstrap();
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => { await server.close(); await storage.close(); });
  return url;
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

async function send(pool: Pool, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const res = await pool.request({ method: method as 'GET', path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

async function metric(pool: Pool, name: string): Promise<string[]> {
  const text = (await send(pool, 'GET', '/metrics')).body;
  return text.split('\n').filter((l) => l.startsWith(name));
}

t.test('a flooding user gets 429s while the node keeps being served, without 5xx', async (t) => {
  // A small server (15 seats: global-default 2, node-high 3) so the flood overflows at once.
  const url = await serve(t, { maxRequestsInflight: 10, maxMutatingRequestsInflight: 5 });
  const admin = new Pool(url, { connections: 8 });
  const nodePool = new Pool(url, { connections: 2 });
  const flood = new Pool(url, { connections: 700 });
  t.teardown(async () => { await admin.destroy(); await nodePool.destroy(); await flood.destroy(); });

  for (let i = 0; i < 200; i++) t.equal((await send(admin, 'POST', CMS, configMap(`seed-${i}`, undefined, { v: 'x'.repeat(500) }))).status, 201);
  t.equal((await send(admin, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })).status, 201);
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
  t.equal((await send(nodePool, 'POST', leasePath, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1' } }, NODE_TOKEN)).status, 201);

  const flooderAnswers: Answer[] = [];
  let flooding = true;
  const flooder = (async () => {
    // Waves of 700 at once: far beyond 2 seats and the 6 queues of 50 the flow's hand holds.
    for (let wave = 0; wave < 3; wave++) {
      const requests = Array.from({ length: 700 }, (_, i) => (i % 3 === 0
        ? send(flood, 'POST', CMS, configMap(`flood-${wave}-${i}`))
        : send(flood, 'GET', CMS)));
      flooderAnswers.push(...await Promise.all(requests));
    }
    flooding = false;
  })();

  const nodeAnswers: Answer[] = [];
  for (let i = 0; i < 1000 && (flooding || nodeAnswers.length < 5); i++) {
    const lease = await send(nodePool, 'GET', `${leasePath}/n1`, undefined, NODE_TOKEN);
    nodeAnswers.push(lease);
    if (lease.status !== 200) break;
    const renewed = JSON.parse(lease.body) as { spec: Record<string, unknown> };
    renewed.spec['renewTime'] = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    nodeAnswers.push(await send(nodePool, 'PUT', `${leasePath}/n1`, renewed, NODE_TOKEN));
    const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    nodeAnswers.push(await send(nodePool, 'PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [ready] } }, NODE_TOKEN));
    nodeAnswers.push(await send(nodePool, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1', undefined, NODE_TOKEN));
  }
  await flooder;

  const nodeStatuses = new Map<number, number>();
  for (const a of nodeAnswers) nodeStatuses.set(a.status, (nodeStatuses.get(a.status) ?? 0) + 1);
  t.notOk(nodeAnswers.some((a) => a.status === 429 || a.status >= 500), `the node got no 429 and no 5xx: ${JSON.stringify([...nodeStatuses])}`);
  t.ok(nodeAnswers.filter((a) => a.status < 300).length >= 10, 'the node kept being served during the flood');

  const rejected = flooderAnswers.filter((a) => a.status === 429);
  t.ok(rejected.length > 0, `the flooder got 429s (${rejected.length} of ${flooderAnswers.length})`);
  t.ok(flooderAnswers.some((a) => a.status < 300), 'and some of its requests were served');
  t.equal(flooderAnswers.filter((a) => a.status >= 500).length, 0, 'no 5xx for the flooder either');
  t.ok(rejected.every((a) => a.headers['retry-after'] === '1'), 'every 429 says Retry-After: 1');
  const status = JSON.parse(rejected[0]!.body) as Record<string, unknown>;
  t.match(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'Too many requests, please try again later.' });

  const nodePl = nodeAnswers[0]!.headers['x-kubernetes-pf-prioritylevel-uid'];
  const floodPl = rejected[0]!.headers['x-kubernetes-pf-prioritylevel-uid'];
  t.ok(nodePl && floodPl && nodePl !== floodPl, 'node and flooder are in different priority levels');
  t.ok(rejected[0]!.headers['x-kubernetes-pf-flowschema-uid'], 'the flow schema uid is sent too');

  const rejections = await metric(admin, 'apiserver_flowcontrol_rejected_requests_total');
  t.ok(rejections.some((l) => l.includes('priority_level="global-default"') && l.includes('flow_schema="global-default"')), `rejections counted: ${rejections.join('; ')}`);
  t.notOk(rejections.some((l) => l.includes('node-high')), 'none for the node');
  // Every seat is back once the flood is over.
  const seats = await metric(admin, 'apiserver_flowcontrol_current_executing_seats{');
  t.ok(seats.every((l) => / 0$/.test(l) || l.includes('flow_schema="global-default"') && / 1$/.test(l)), `only the metrics request itself may hold a seat: ${seats.join('; ')}`);
  const queued = await metric(admin, 'apiserver_flowcontrol_current_inqueue_requests{');
  t.ok(queued.every((l) => / 0$/.test(l)), `nothing left in the queues: ${queued.join('; ')}`);
});

t.test('seats come back when requests fail or their clients go away', async (t) => {
  const url = await serve(t, { maxRequestsInflight: 10, maxMutatingRequestsInflight: 5 });
  const pool = new Pool(url, { connections: 4 });
  t.teardown(() => pool.destroy());
  // global-default has 2 seats: twenty failing requests in a row would wedge it if any leaked.
  for (let i = 0; i < 20; i++) {
    const bad = await send(pool, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid' } });
    t.equal(bad.status, 422, 'invalid');
    t.equal((await send(pool, 'GET', `${CMS}/missing-${i}`)).status, 404);
  }
  // Clients that give up while their requests are queued or running.
  const aborting = new Pool(url, { connections: 100 });
  const controllers = Array.from({ length: 100 }, () => new AbortController());
  const pending = controllers.map((ac) => aborting.request({ method: 'GET', path: CMS, signal: ac.signal }).then((r) => r.body.text(), () => undefined));
  setImmediate(() => { for (const ac of controllers) ac.abort(); });
  await Promise.all(pending);
  await aborting.destroy();
  // The server learns of the closed sockets a moment later; bounded wait for the seats.
  let seats: string[] = [];
  for (let i = 0; i < 100; i++) {
    seats = (await metric(pool, 'apiserver_flowcontrol_current_executing_seats{')).filter((l) => !/ 0$/.test(l));
    const inQueue = (await metric(pool, 'apiserver_flowcontrol_current_inqueue_requests{')).filter((l) => !/ 0$/.test(l));
    if (seats.length <= 1 && inQueue.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(seats.every((l) => / 1$/.test(l)), `at most the metrics request itself holds a seat: ${seats.join('; ')}`);
  t.equal((await send(pool, 'POST', CMS, configMap('after'))).status, 201, 'the level still serves');
});

t.test('without priority and fairness: two max-in-flight limits, watches not counted', async (t) => {
  const url = await serve(t, { enablePriorityAndFairness: false, maxRequestsInflight: 3, maxMutatingRequestsInflight: 2 });
  const pool = new Pool(url, { connections: 300 });
  t.teardown(() => pool.destroy());
  // Watches outnumber the read limit and stay open; reads are still served.
  const watches = await Promise.all(Array.from({ length: 5 }, () => pool.request({ method: 'GET', path: `${CMS}?watch=true` })));
  t.ok(watches.every((w) => w.statusCode === 200));
  t.equal((await send(pool, 'GET', CMS)).status, 200, 'a list is served beside 5 open watches');
  const answers = await Promise.all(Array.from({ length: 250 }, (_, i) => (i % 2 ? send(pool, 'GET', CMS) : send(pool, 'POST', CMS, configMap(`m-${i}`)))));
  const rejected = answers.filter((a) => a.status === 429);
  t.ok(rejected.length > 0, `beyond the limits: 429 (${rejected.length} of ${answers.length})`);
  t.equal(answers.filter((a) => a.status >= 500).length, 0);
  t.ok(rejected.every((a) => a.headers['retry-after'] === '1' && (JSON.parse(a.body) as { reason: string }).reason === 'TooManyRequests'));
  t.notOk(rejected[0]!.headers['x-kubernetes-pf-flowschema-uid'], 'no priority and fairness headers');
  const dropped = await metric(pool, 'apiserver_dropped_requests_total{');
  t.ok(dropped.some((l) => l.includes('request_kind="readOnly"') || l.includes('request_kind="mutating"')), `counted: ${dropped.join('; ')}`);
  for (const w of watches) w.body.destroy();
});
