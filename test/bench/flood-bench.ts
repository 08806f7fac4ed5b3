// The flood measurement (issue 14, "A flood test"): a real cluster (etcd, kube-apiserver,
// scheduler, controller-manager, a kubelet with hollow nodes on the fake runtime) with 1,000
// pods stored; one user floods the apiserver with lists of every pod and configmap writes for
// 30 s while the bench creates pods at a modest rate. Measured with and without the flood:
// the system requests (timed per kind), create → bound, lease renewals and Ready; the
// flooder's 429s; 5xx anywhere (must be 0); and where the time goes: the apiserver's event-loop
// delay, its priority levels' queue wait and execution, and the CPU of every process.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { cpuSeconds, startComponent, type ComponentProcess } from '../harness/components.js';
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
 * --max-mutating-requests-inflight=M (default upstream's 400,200).
 */
const INFLIGHT = (process.env['TSKUBE_FLOOD_INFLIGHT'] ?? '400,200').split(',');
/**
 * TSKUBE_FLOOD_PROBES=kubelet (default): the system requests are what a kubelet and a scheduler
 * send in steady state, every 100 ms instead of every 10 s: the node GET from the cache
 * (resourceVersion=0) and status PATCH of tryUpdateNodeStatus, the lease PUT of the lease
 * controller, the scheduler's binding POST. Their pods reach them by watch, not by list.
 * TSKUBE_FLOOD_PROBES=legacy: the first version's probes (lease GET, node GET, and the node's
 * pods listed from etcd every 100 ms, which no kubelet does).
 */
const PROBES = process.env['TSKUBE_FLOOD_PROBES'] === 'legacy' ? 'legacy' : 'kubelet';
const PROBE_NODE = 'probe-node';
const PROBE_SCHEDULER = 'bench-probe-scheduler';
/** Pending pods for the probe binds, one per tick at most: part of the stored pods. */
const PROBE_PODS = PROBES === 'kubelet' ? Math.ceil((BASELINE_SECONDS + PHASE_SECONDS) * 1000 / SYSTEM_PROBE_INTERVAL_MS) : 0;
const CLOCK_TICKS_PER_SECOND = 100;

const TOKENS = {
  node: { token: 'bench-node', user: 'system:node:hollow', groups: 'system:nodes' },
  scheduler: { token: 'bench-scheduler', user: 'system:kube-scheduler', groups: '' },
  controllerManager: { token: 'bench-cm', user: 'system:kube-controller-manager', groups: '' },
  tester: { token: 'bench-tester', user: 'bench-tester', groups: 'system:authenticated' },
  // Exempt: its set-up writes and metrics scrapes are not part of what is measured.
  monitor: { token: 'bench-monitor', user: 'bench-monitor', groups: 'system:masters' },
};

interface Answer { status: number; ms: number }

function headersFor(method: string, token: string | undefined, contentType?: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json') };
  if (token) headers['authorization'] = `Bearer ${token}`;
  return headers;
}

async function call(pool: Pool, method: string, path: string, token?: string, body?: unknown, contentType?: string): Promise<Answer & { text: string }> {
  const t0 = performance.now();
  try {
    const res = await pool.request({ method: method as 'GET', path, headers: headersFor(method, token, contentType), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t0, text };
  } catch {
    return { status: 0, ms: performance.now() - t0, text: '' };
  }
}

/**
 * The flooder's request: the body is read and dropped chunk by chunk, never joined or parsed,
 * so the flooder's own CPU (it shares the 2 cores with the cluster) stays small.
 */
async function floodCall(pool: Pool, method: string, path: string, body?: string): Promise<number> {
  try {
    const res = await pool.request({ method: method as 'GET', path, headers: headersFor(method, undefined), ...(body === undefined ? {} : { body }) });
    for await (const _ of res.body) { /* discarded */ }
    return res.statusCode;
  } catch {
    return 0;
  }
}

/** The flood, on a worker thread until `endMs` (Date.now() time): the count of each status it was answered. */
async function runFlooderThread(api: string, endMs: number): Promise<Map<number, number>> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { floodBench: { api, endMs } } });
  const [answers] = await once(worker, 'message') as [[number, number][]];
  await worker.terminate();
  return new Map(answers);
}

async function flood(api: string, endMs: number): Promise<[number, number][]> {
  const pool = new Pool(api, { connections: FLOOD_WORKERS });
  const answers = new Map<number, number>();
  await Promise.all(Array.from({ length: FLOOD_WORKERS }, async (_, w) => {
    for (let i = 0; Date.now() < endMs; i++) {
      let status: number;
      switch (i % 3) {
        case 0: status = await floodCall(pool, 'GET', '/api/v1/pods'); break;
        case 1: status = await floodCall(pool, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `flood-${w}-${i}` }, data: { v: String(i) } })); break;
        default: status = await floodCall(pool, 'PATCH', `/api/v1/namespaces/default/configmaps/flood-${w}-${i - 1}`, JSON.stringify({ data: { patched: 'yes' } }));
      }
      // 404 when the create before it was refused; anything else is counted as it is.
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  }));
  await pool.destroy();
  return [...answers];
}

const floodJob = (workerData as { floodBench?: { api: string; endMs: number } } | null)?.floodBench;
if (!isMainThread && floodJob) parentPort?.postMessage(await flood(floodJob.api, floodJob.endMs));

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

/** The whole machine's busy and total CPU seconds (Linux /proc/stat): what else ran beside the cluster. */
function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: (total - fields[3]! - fields[4]!) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
  } catch { return { busy: 0, total: 0 }; }
}

/** Prometheus text as series → value (histograms' buckets included), for deltas between scrapes. */
type Scrape = Map<string, number>;

async function scrape(pool: Pool): Promise<Scrape> {
  const out: Scrape = new Map();
  const { text } = await call(pool, 'GET', '/metrics', TOKENS.monitor.token);
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** A histogram's bucket deltas between two scrapes, summed over the series `select` picks: p50, p99 (bucket bounds) and mean. */
function histogramDelta(before: Scrape, after: Scrape, name: string, select: (labels: string) => boolean): { count: number; mean: number; p50: number; p99: number } {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const [series, value] of after) {
    const m = /^(\w+?)(_bucket|_sum|_count)\{(.*)\}$/.exec(series);
    if (!m || m[1] !== name || !select(m[3]!)) continue;
    const delta = value - (before.get(series) ?? 0);
    if (m[2] === '_sum') sum += delta;
    else if (m[2] === '_count') count += delta;
    else {
      const le = /le="([^"]+)"/.exec(m[3]!)?.[1] ?? '+Inf';
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + delta);
    }
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const q = (p: number) => sorted.find(([, n]) => n >= (p / 100) * count)?.[0] ?? NaN;
  return { count, mean: count ? sum / count : NaN, p50: q(50), p99: q(99) };
}

interface PhaseResult {
  system: number[];
  byKind: Map<string, number[]>;
  bound: number[];
  systemErrors: Map<string, number>;
  leaseRenewals: number;
  readyAtEnd: boolean;
  testerErrors: number;
  watchStatus: string;
  /** Pods of this phase whose nodeName was set when the phase ended (read back, whatever the watch saw). */
  boundAtEnd: string;
  /** The probes' own event-loop delay p99 (ms): what of their latency is the client's. */
  clientLagP99: number;
  before: Scrape;
  after: Scrape;
}

interface ProbeState { nextProbePod: number; lease: Record<string, unknown> | undefined }

/** Probes as the node (and the scheduler), creates pods as the tester and times them to bound, for `seconds`. */
async function measurePhase(api: string, seconds: number, tag: string, probe: ProbeState): Promise<PhaseResult> {
  const pool = new Pool(api, { connections: 8 });
  const monitor = new Pool(api, { connections: 1 });
  const node = PROBES === 'kubelet' ? PROBE_NODE : 'hollow-0';
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
  const result: PhaseResult = {
    system: [], byKind: new Map(), bound: [], systemErrors: new Map(), leaseRenewals: 0, readyAtEnd: false, testerErrors: 0,
    watchStatus: '', boundAtEnd: '', clientLagP99: NaN, before: await scrape(monitor), after: new Map(),
  };
  const clientLag = monitorEventLoopDelay({ resolution: 10 });
  clientLag.enable();
  const end = Date.now() + seconds * 1000;
  const created = new Map<string, number>();
  const record = (kind: string, a: Answer, ok: number) => {
    if (a.status === ok) {
      result.system.push(a.ms);
      let list = result.byKind.get(kind);
      if (!list) result.byKind.set(kind, list = []);
      list.push(a.ms);
    } else {
      const key = `${kind} ${a.status}`;
      result.systemErrors.set(key, (result.systemErrors.get(key) ?? 0) + 1);
    }
  };

  // Create → bound through a watch, as a client would see it; a watch that ends early is resumed.
  const watchAc = new AbortController();
  const watching = (async () => {
    let rv = '0';
    const statuses: string[] = [];
    while (!watchAc.signal.aborted) {
      try {
        const res = await pool.request({ method: 'GET', path: `/api/v1/namespaces/bench/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, headers: { authorization: `Bearer ${TOKENS.tester.token}` }, signal: watchAc.signal });
        statuses.push(String(res.statusCode));
        if (res.statusCode !== 200) { await res.body.dump(); await sleep(250); continue; }
        let buf = '';
        for await (const chunk of res.body) {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, nl)) as { type?: string; object?: { metadata?: { name?: string; resourceVersion?: string }; spec?: { nodeName?: string } } };
            buf = buf.slice(nl + 1);
            if (ev.type === 'ERROR') { rv = '0'; continue; }
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            const name = ev.object?.metadata?.name ?? '';
            const t0 = created.get(name);
            if (t0 !== undefined && ev.object?.spec?.nodeName) { result.bound.push(performance.now() - t0); created.delete(name); }
          }
        }
      } catch {
        if (!watchAc.signal.aborted) await sleep(250);
      }
    }
    result.watchStatus = [...new Set(statuses)].join(',') + ` (${statuses.length} watch${statuses.length === 1 ? '' : 'es'})`;
  })();

  const probing = PROBES === 'legacy' ? (async () => {
    let last = '';
    while (Date.now() < end) {
      for (const [kind, path] of [['lease GET', leasePath], ['node GET', `/api/v1/nodes/${node}`], ['pods LIST (etcd)', `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}&limit=500`]] as const) {
        const a = await call(pool, 'GET', path, TOKENS.node.token);
        record(kind, a, 200);
        if (path === leasePath) {
          const renew = (JSON.parse(a.text || '{}') as { spec?: { renewTime?: string } }).spec?.renewTime ?? '';
          if (renew && renew !== last) { if (last) result.leaseRenewals++; last = renew; }
        }
      }
      await sleep(SYSTEM_PROBE_INTERVAL_MS);
    }
  })() : (async () => {
    while (Date.now() < end) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      record('node GET (rv=0)', await call(pool, 'GET', `/api/v1/nodes/${node}?resourceVersion=0`, TOKENS.node.token), 200);
      record('node status PATCH', await call(pool, 'PATCH', `/api/v1/nodes/${node}/status`, TOKENS.node.token,
        { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'probe', lastHeartbeatTime: now }] } },
        'application/strategic-merge-patch+json'), 200);
      const lease = probe.lease!;
      const renewed = { ...lease, spec: { ...(lease['spec'] as object), renewTime: new Date().toISOString().replace('Z', '000Z') } };
      const a = await call(pool, 'PUT', leasePath, TOKENS.node.token, renewed);
      record('lease PUT', a, 200);
      if (a.status === 200) { probe.lease = JSON.parse(a.text) as Record<string, unknown>; result.leaseRenewals++; }
      else if (a.status === 409) probe.lease = JSON.parse((await call(pool, 'GET', leasePath, TOKENS.node.token)).text) as Record<string, unknown>;
      if (probe.nextProbePod < PROBE_PODS) {
        const name = `probe-${probe.nextProbePod++}`;
        record('binding POST', await call(pool, 'POST', `/api/v1/namespaces/probe/pods/${name}/binding`, TOKENS.scheduler.token,
          { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } }), 201);
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
  result.after = await scrape(monitor);
  clientLag.disable();
  result.clientLagP99 = clientLag.percentile(99) / 1e6;
  // Binds still in flight get a few seconds to arrive.
  for (let i = 0; i < 50 && created.size; i++) await sleep(100);
  watchAc.abort();
  await watching;
  const nodeObj = JSON.parse((await call(pool, 'GET', `/api/v1/nodes/${node}`, TOKENS.monitor.token)).text || '{}') as { status?: { conditions?: { type: string; status: string }[] } };
  result.readyAtEnd = !!nodeObj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  result.bound.push(...[...created.values()].map(() => Infinity));  // never bound
  const pods = JSON.parse((await call(pool, 'GET', '/api/v1/namespaces/bench/pods', TOKENS.monitor.token)).text || '{}') as { items?: { metadata?: { name?: string }; spec?: { nodeName?: string } }[] };
  const mine = (pods.items ?? []).filter((p) => p.metadata?.name?.startsWith(`${tag}-`));
  result.boundAtEnd = `${mine.filter((p) => p.spec?.nodeName).length}/${mine.length} bound when read back`;
  await pool.destroy();
  await monitor.destroy();
  result.system.sort((a, b) => a - b);
  for (const list of result.byKind.values()) list.sort((a, b) => a - b);
  result.bound.sort((a, b) => a - b);
  return result;
}

/** The figures of one phase: system requests per kind, the event loop, the priority levels' wait and execution. */
function phaseFigures(label: string, r: PhaseResult): Figure[] {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : String(v));
  const figures: Figure[] = [
    { name: `system requests ${label}: p50`, value: percentile(r.system, 50), unit: 'ms' },
    { name: `system requests ${label}: p99`, value: percentile(r.system, 99), unit: `ms (${r.system.length} requests)` },
  ];
  for (const [kind, list] of r.byKind) {
    figures.push({ name: `  ${kind} ${label}: p50 / p99`, value: percentile(list, 50), unit: `ms / ${f(percentile(list, 99))} ms` });
  }
  const lag = (q: string) => 1000 * (r.after.get(`nodejs_eventloop_lag_${q}_seconds`) ?? NaN);
  figures.push({ name: `apiserver event-loop delay ${label}: p50 / p99 / max`, value: lag('p50'), unit: `ms / ${f(lag('p99'))} ms / ${f(lag('max'))} ms (probes' own: p99 ${f(r.clientLagP99)} ms)` });
  for (const level of ['node-high', 'workload-high', 'global-default']) {
    const sel = (labels: string) => labels.includes(`priority_level="${level}"`);
    const wait = histogramDelta(r.before, r.after, 'apiserver_flowcontrol_request_wait_duration_seconds', (l) => sel(l) && l.includes('execute="true"'));
    const exec = histogramDelta(r.before, r.after, 'apiserver_flowcontrol_request_execution_seconds', sel);
    if (!wait.count) continue;
    figures.push({
      name: `  APF ${level} ${label}: queued mean / p99 (bucket)`, value: 1000 * wait.mean,
      unit: `ms / ≤${f(1000 * wait.p99)} ms; executing mean ${f(1000 * exec.mean)} ms, p99 ≤${f(1000 * exec.p99)} ms (${exec.count} requests)`,
    });
  }
  return figures;
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
    const adminToken = TOKENS.monitor.token;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const nodes = JSON.parse((await call(admin, 'GET', '/api/v1/nodes', adminToken)).text) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      if (nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= FAKE_NODES) break;
      if (Date.now() > deadline) throw new Error(`hollow nodes not Ready: ${processes.at(-1)?.output()}`);
      await sleep(250);
    }
    for (const ns of ['bench', 'stored', 'probe']) await call(admin, 'POST', '/api/v1/namespaces', adminToken, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const probe: ProbeState = { nextProbePod: 0, lease: undefined };
    if (PROBES === 'kubelet') {
      // A node no kubelet runs: the bench is its kubelet. Tainted, so the scheduler places nothing there.
      const n = await call(admin, 'POST', '/api/v1/nodes', adminToken, {
        apiVersion: 'v1', kind: 'Node', metadata: { name: PROBE_NODE },
        spec: { taints: [{ key: 'bench.tskube.io/probe', effect: 'NoSchedule' }] },
      });
      if (n.status !== 201) throw new Error(`probe node: ${n.status} ${n.text}`);
      const l = await call(admin, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', adminToken, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: PROBE_NODE, namespace: 'kube-node-lease' },
        spec: { holderIdentity: PROBE_NODE, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
      });
      if (l.status !== 201) throw new Error(`probe lease: ${l.status} ${l.text}`);
      probe.lease = JSON.parse(l.text) as Record<string, unknown>;
    }
    // The stored pods stay Pending (no node matches their selector, or no scheduler is theirs):
    // they weigh on every list. The probe pods wait for the bench's binds.
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = next++; i < STORED_PODS; i = next++) {
        const probePod = i < PROBE_PODS;
        const pod = benchPod(probePod ? `probe-${i}` : `stored-${i}`, probePod ? 'probe' : 'stored');
        const spec = pod['spec'] as Record<string, unknown>;
        if (probePod) spec['schedulerName'] = PROBE_SCHEDULER;
        else spec['nodeSelector'] = { 'bench.tskube.io/nowhere': 'true' };
        const a = await call(admin, 'POST', `/api/v1/namespaces/${probePod ? 'probe' : 'stored'}/pods`, adminToken, pod);
        if (a.status !== 201) throw new Error(`storing pods: ${a.status} ${a.text}`);
      }
    }));
    await admin.destroy();

    const quiet = await measurePhase(api, BASELINE_SECONDS, 'quiet', probe);

    // The flood: the local user (no token) lists every pod and creates and updates configmaps.
    const floodEnd = Date.now() + PHASE_SECONDS * 1000;
    const pids = { etcd: etcd.process.pid, ...Object.fromEntries(processes.map((p) => [p.name, p.process.pid])) };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    const benchCpuBefore = process.cpuUsage();
    const machineBefore = machineCpuSeconds();
    const floodStart = performance.now();
    // The flooder runs on its own thread: on the probes' event loop, reading its 300 streams of
    // lists would delay the probes' own answers and count as the apiserver's latency.
    const flooding = runFlooderThread(api, floodEnd);
    const flooded = await measurePhase(api, PHASE_SECONDS, 'flood', probe);
    const floodAnswers = await flooding;
    const floodSeconds = (performance.now() - floodStart) / 1000;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const machineAfter = machineCpuSeconds();
    const oursSeconds = Object.entries(pids).reduce((a, [name, pid]) => a + cpuSeconds(pid) - cpuBefore[name]!, 0) + (benchCpu.user + benchCpu.system) / 1e6;
    const otherPercent = (100 * (machineAfter.busy - machineBefore.busy - oursSeconds)) / floodSeconds;
    const idlePercent = (100 * ((machineAfter.total - machineBefore.total) - (machineAfter.busy - machineBefore.busy))) / floodSeconds;
    const cpu = Object.entries(pids).map(([name, pid]) => `${name} ${(100 * (cpuSeconds(pid) - cpuBefore[name]!) / floodSeconds).toFixed(0)}%`);

    const total = [...floodAnswers.values()].reduce((a, b) => a + b, 0);
    const count = (f: (s: number) => boolean) => [...floodAnswers].filter(([s]) => f(s)).reduce((a, [, n]) => a + n, 0);
    const errorCount = (r: PhaseResult) => [...r.systemErrors.values()].reduce((a, b) => a + b, 0);
    const errorText = (r: PhaseResult) => JSON.stringify(Object.fromEntries(r.systemErrors));
    const fiveXX = count((s) => s >= 500) + [quiet, flooded].reduce((n, r) => n + [...r.systemErrors].filter(([k]) => Number(k.split(' ').at(-1)) >= 500).reduce((a, [, v]) => a + v, 0), 0);
    const ms = (v: number) => (Number.isFinite(v) ? v : -1);
    figures.push(
      { name: 'apiserver --max-requests-inflight / --max-mutating-requests-inflight', value: Number(INFLIGHT[0]), unit: `/ ${INFLIGHT[1]}` },
      { name: 'probe set', value: 0, unit: PROBES === 'kubelet' ? 'kubelet (node GET rv=0, node status PATCH, lease PUT; scheduler binding POST)' : 'legacy (lease GET, node GET, pods LIST from etcd)' },
      ...phaseFigures('without flood', quiet),
      ...phaseFigures(`during the flood (${FLOOD_WORKERS} workers)`, flooded),
      { name: 'system requests not answered 2xx (quiet + flood)', value: errorCount(quiet) + errorCount(flooded), unit: `${errorText(quiet)} ${errorText(flooded)}`, target: '0' },
      { name: 'pod create → bound without flood: p50 / p99', value: ms(percentile(quiet.bound, 50)), unit: `ms / ${ms(percentile(quiet.bound, 99)).toFixed(0)} ms (${quiet.bound.length} pods; ${quiet.boundAtEnd}; watch ${quiet.watchStatus})` },
      { name: 'pod create → bound during the flood: p50 / p99', value: ms(percentile(flooded.bound, 50)), unit: `ms / ${ms(percentile(flooded.bound, 99)).toFixed(0)} ms (${flooded.bound.length} pods, ${flooded.testerErrors} creates refused; ${flooded.boundAtEnd}; watch ${flooded.watchStatus})` },
      { name: `${PROBES === 'kubelet' ? PROBE_NODE : 'hollow-0'} lease renewals seen during the flood`, value: flooded.leaseRenewals, unit: `(Ready at end: ${flooded.readyAtEnd})` },
      { name: 'CPU during the flood (% of one core)', value: 0, unit: `${cpu.join(', ')}, bench (flooder + probes) ${(100 * (benchCpu.user + benchCpu.system) / 1e6 / floodSeconds).toFixed(0)}%; other processes on the machine ${otherPercent.toFixed(0)}%, idle ${idlePercent.toFixed(0)}%` },
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
