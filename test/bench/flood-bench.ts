// The flood measurement (issue 14, "A flood test"): a real cluster (etcd, kube-apiserver,
// scheduler, controller-manager, a kubelet with hollow nodes on the fake runtime) with 1,000
// pods stored; one user floods the apiserver with lists of every pod and configmap writes for
// 30 s while the bench creates pods at a modest rate. Measured with and without the flood:
// the node's requests (timed as its own user), create → bound, lease renewals and Ready;
// the flooder's 429s; 5xx anywhere (must be 0).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { startComponent, type ComponentProcess } from '../harness/components.js';
import { startEtcd } from '../harness/etcd.js';
import { freePort, onFreePorts } from '../harness/free-port.js';
import { benchPod } from './apiserver-bench.js';
import { percentile, type Figure } from './bench-report.js';

const STORED_PODS = 1000;
const FAKE_NODES = 3;
const PHASE_SECONDS = 30;
const BASELINE_SECONDS = 10;
const FLOOD_WORKERS = 300;
const POD_CREATES_PER_SECOND = 5;
const SYSTEM_PROBE_INTERVAL_MS = 100;
/**
 * TSKUBE_FLOOD_INFLIGHT=R,M runs the apiserver with --max-requests-inflight=R and
 * --max-mutating-requests-inflight=M (default upstream's 400,200): one event loop does the
 * work of every seat, so smaller limits trade the flooder's throughput for everyone's latency.
 */
const INFLIGHT = (process.env['TSKUBE_FLOOD_INFLIGHT'] ?? '400,200').split(',');

const TOKENS = {
  node: { token: 'bench-node', user: 'system:node:hollow', groups: 'system:nodes' },
  scheduler: { token: 'bench-scheduler', user: 'system:kube-scheduler', groups: '' },
  controllerManager: { token: 'bench-cm', user: 'system:kube-controller-manager', groups: '' },
  tester: { token: 'bench-tester', user: 'bench-tester', groups: 'system:authenticated' },
};

interface Answer { status: number; ms: number }

async function call(pool: Pool, method: string, path: string, token?: string, body?: unknown): Promise<Answer & { text: string }> {
  const t0 = performance.now();
  const headers: Record<string, string> = { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  try {
    const res = await pool.request({ method: method as 'GET', path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t0, text };
  } catch {
    return { status: 0, ms: performance.now() - t0, text: '' };
  }
}

function kubeconfig(dir: string, name: string, api: string, token: string): string {
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: api, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  return path;
}

interface PhaseResult { system: number[]; bound: number[]; systemErrors: number; leaseRenewals: number; readyAtEnd: boolean; testerErrors: number }

/** Probes as the node, creates pods as the tester and times them to bound, for `seconds`. */
async function measurePhase(api: string, seconds: number, tag: string): Promise<PhaseResult> {
  const pool = new Pool(api, { connections: 8 });
  const node = `hollow-0`;
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
  const renewTimeOf = async (): Promise<string> => (JSON.parse((await call(pool, 'GET', leasePath, TOKENS.node.token)).text || '{}') as { spec?: { renewTime?: string } }).spec?.renewTime ?? '';
  const result: PhaseResult = { system: [], bound: [], systemErrors: 0, leaseRenewals: 0, readyAtEnd: false, testerErrors: 0 };
  const end = Date.now() + seconds * 1000;
  const created = new Map<string, number>();

  // Create → bound through a watch, as a client would see it.
  const watchAc = new AbortController();
  const watching = (async () => {
    const res = await pool.request({ method: 'GET', path: '/api/v1/namespaces/bench/pods?watch=true&resourceVersion=0', headers: { authorization: `Bearer ${TOKENS.tester.token}` }, signal: watchAc.signal });
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as { object?: { metadata?: { name?: string }; spec?: { nodeName?: string } } };
        buf = buf.slice(nl + 1);
        const name = ev.object?.metadata?.name ?? '';
        const t0 = created.get(name);
        if (t0 !== undefined && ev.object?.spec?.nodeName) { result.bound.push(performance.now() - t0); created.delete(name); }
      }
    }
  })().catch(() => undefined);

  const probing = (async () => {
    let last = await renewTimeOf();
    while (Date.now() < end) {
      for (const path of [leasePath, `/api/v1/nodes/${node}`, `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}&limit=500`]) {
        const a = await call(pool, 'GET', path, TOKENS.node.token);
        if (a.status === 200) result.system.push(a.ms); else result.systemErrors++;
        if (path === leasePath) {
          const renew = (JSON.parse(a.text || '{}') as { spec?: { renewTime?: string } }).spec?.renewTime ?? '';
          if (renew && renew !== last) { result.leaseRenewals++; last = renew; }
        }
      }
      await sleep(SYSTEM_PROBE_INTERVAL_MS);
    }
  })();

  const creating = (async () => {
    for (let i = 0; Date.now() < end; i++) {
      const name = `${tag}-${i}`;
      const pod = benchPod(name, 'bench');
      (pod['spec'] as Record<string, unknown>)['nodeSelector'] = {};
      (pod['spec'] as Record<string, unknown>)['tolerations'] = [];
      created.set(name, performance.now());
      const a = await call(pool, 'POST', '/api/v1/namespaces/bench/pods', TOKENS.tester.token, pod);
      if (a.status !== 201) { result.testerErrors++; created.delete(name); }
      await sleep(1000 / POD_CREATES_PER_SECOND);
    }
  })();

  await Promise.all([probing, creating]);
  // Binds still in flight get a few seconds to arrive.
  for (let i = 0; i < 50 && created.size; i++) await sleep(100);
  watchAc.abort();
  await watching;
  const nodeObj = JSON.parse((await call(pool, 'GET', `/api/v1/nodes/${node}`, TOKENS.node.token)).text || '{}') as { status?: { conditions?: { type: string; status: string }[] } };
  result.readyAtEnd = !!nodeObj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  result.bound.push(...[...created.values()].map(() => Infinity));  // never bound
  await pool.destroy();
  result.system.sort((a, b) => a - b);
  result.bound.sort((a, b) => a - b);
  return result;
}

export async function runFloodBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const etcd = await startEtcd();
  const processes: ComponentProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tskube-flood-'));
  try {
    const tokenFile = join(dir, 'tokens.csv');
    writeFileSync(tokenFile, Object.values(TOKENS).map((t) => `${t.token},${t.user},uid-${t.user},"${t.groups}"`).join('\n') + '\n');
    const api = await onFreePorts(1, async ([port]) => {
      const url = `http://127.0.0.1:${port}`;
      processes.push(await startComponent('kube-apiserver', ['--etcd-servers', etcd.endpoint, '--insecure-port', String(port), '--token-auth-file', tokenFile,
        '--max-requests-inflight', INFLIGHT[0] ?? '400', '--max-mutating-requests-inflight', INFLIGHT[1] ?? '200'], { healthz: `${url}/readyz` }));
      return url;
    });
    const schedPort = await freePort();
    const cmPort = await freePort();
    processes.push(await startComponent('kube-scheduler', ['--kubeconfig', kubeconfig(dir, 'scheduler', api, TOKENS.scheduler.token), '--port', String(schedPort)], { healthz: `http://127.0.0.1:${schedPort}/healthz` }));
    processes.push(await startComponent('kube-controller-manager', ['--kubeconfig', kubeconfig(dir, 'cm', api, TOKENS.controllerManager.token), '--port', String(cmPort)], { healthz: `http://127.0.0.1:${cmPort}/healthz` }));
    processes.push(await startComponent('kubelet', ['--kubeconfig', kubeconfig(dir, 'kubelet', api, TOKENS.node.token), '--runtime', 'fake', '--fake-nodes', String(FAKE_NODES),
      '--node-name', 'hollow', '--max-pods', '1000', '--port', String(await freePort())]));

    const admin = new Pool(api, { connections: 32 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const nodes = JSON.parse((await call(admin, 'GET', '/api/v1/nodes')).text) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      if (nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= FAKE_NODES) break;
      if (Date.now() > deadline) throw new Error(`hollow nodes not Ready: ${processes.at(-1)?.output()}`);
      await sleep(250);
    }
    await call(admin, 'POST', '/api/v1/namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    await call(admin, 'POST', '/api/v1/namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stored' } });
    // The stored pods stay Pending (no node matches their selector): they weigh on every list.
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = next++; i < STORED_PODS; i = next++) {
        const pod = benchPod(`stored-${i}`, 'stored');
        (pod['spec'] as Record<string, unknown>)['nodeSelector'] = { 'bench.tskube.io/nowhere': 'true' };
        const a = await call(admin, 'POST', '/api/v1/namespaces/stored/pods', undefined, pod);
        if (a.status !== 201) throw new Error(`storing pods: ${a.status} ${a.text}`);
      }
    }));
    await admin.destroy();

    const quiet = await measurePhase(api, BASELINE_SECONDS, 'quiet');

    // The flood: the local user (no token) lists every pod and creates and updates configmaps.
    const flood = new Pool(api, { connections: FLOOD_WORKERS });
    const floodAnswers = new Map<number, number>();
    const floodEnd = Date.now() + PHASE_SECONDS * 1000;
    const flooding = Promise.all(Array.from({ length: FLOOD_WORKERS }, async (_, w) => {
      for (let i = 0; Date.now() < floodEnd; i++) {
        let a: Answer;
        switch (i % 3) {
          case 0: a = await call(flood, 'GET', '/api/v1/pods'); break;
          case 1: a = await call(flood, 'POST', '/api/v1/namespaces/default/configmaps', undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `flood-${w}-${i}` }, data: { v: String(i) } }); break;
          default: a = await call(flood, 'PATCH', `/api/v1/namespaces/default/configmaps/flood-${w}-${i - 1}`, undefined, { data: { patched: 'yes' } });
        }
        floodAnswers.set(a.status, (floodAnswers.get(a.status) ?? 0) + 1);
        // 404 when the create before it was refused; anything else is counted as it is.
      }
    }));
    const flooded = await measurePhase(api, PHASE_SECONDS, 'flood');
    await flooding;
    await flood.destroy();

    const total = [...floodAnswers.values()].reduce((a, b) => a + b, 0);
    const count = (f: (s: number) => boolean) => [...floodAnswers].filter(([s]) => f(s)).reduce((a, [, n]) => a + n, 0);
    const fiveXX = count((s) => s >= 500) + quiet.systemErrors + flooded.systemErrors;
    const ms = (v: number) => (Number.isFinite(v) ? v : -1);
    figures.push(
      { name: 'apiserver --max-requests-inflight / --max-mutating-requests-inflight', value: Number(INFLIGHT[0]), unit: `/ ${INFLIGHT[1]}` },
      { name: 'node requests (lease, node, its pods) without flood: p50', value: percentile(quiet.system, 50), unit: 'ms' },
      { name: 'node requests without flood: p99', value: percentile(quiet.system, 99), unit: 'ms' },
      { name: `node requests during the flood (${FLOOD_WORKERS} workers): p50`, value: percentile(flooded.system, 50), unit: 'ms' },
      { name: 'node requests during the flood: p99', value: percentile(flooded.system, 99), unit: 'ms' },
      { name: 'node requests not answered 200 (quiet + flood)', value: quiet.systemErrors + flooded.systemErrors, unit: '', target: '0' },
      { name: 'pod create → bound without flood: p50 / p99', value: ms(percentile(quiet.bound, 50)), unit: `ms / ${ms(percentile(quiet.bound, 99)).toFixed(0)} ms (${quiet.bound.length} pods)` },
      { name: 'pod create → bound during the flood: p50 / p99', value: ms(percentile(flooded.bound, 50)), unit: `ms / ${ms(percentile(flooded.bound, 99)).toFixed(0)} ms (${flooded.bound.length} pods, ${flooded.testerErrors} creates refused)` },
      { name: 'hollow-0 lease renewals seen during the flood', value: flooded.leaseRenewals, unit: `(Ready at end: ${flooded.readyAtEnd})` },
      { name: 'flooder requests', value: total, unit: `in ${PHASE_SECONDS} s: ${JSON.stringify(Object.fromEntries(floodAnswers))}` },
      { name: 'flooder 429 rate', value: total ? (100 * count((s) => s === 429)) / total : 0, unit: '%' },
      { name: '5xx answers (anyone)', value: fiveXX, unit: '', target: '0' },
    );
  } finally {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    await etcd.stop();
  }
  return figures;
}
