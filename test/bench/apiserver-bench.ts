// kube-apiserver figures (issue: kube-apiserver over a real etcd): create throughput and latency
// against raw etcd create-if-absent transactions on the same ~1.5 KB pod, a 10,000-pod list
// from etcd and from the watch cache, fan-out to 1,000 watchers, and the apiserver's RSS.
import { Etcd3 } from 'etcd3';
import { Pool } from 'undici';
import { rssMb } from '../harness/components.js';
import { startEtcd } from '../harness/etcd.js';
import { startApiServer } from '../harness/apiserver.js';
import { closedLoop, percentile, printFigures, type Figure } from './bench-report.js';

const IN_FLIGHT = 64;
const CREATES = 5000;
const LIST_PODS = 10_000;
const WATCHERS = 1000;
const FANOUT_EVENTS = 100;

/** A realistic pod (~1.5 KB as JSON), as a Deployment's pods look. */
export function benchPod(name: string, namespace = 'default'): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace,
      labels: { app: 'bench', 'pod-template-hash': '7d4b9c6f8d', tier: 'web', team: 'platform' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T12:00:00Z', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: {
      containers: [{
        name: 'web', image: 'busybox:1.35', command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'production' }, { name: 'LOG_LEVEL', value: 'info' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 },
        volumeMounts: [{ name: 'data', mountPath: '/www' }, { name: 'config', mountPath: '/etc/web', readOnly: true }],
      }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'config', configMap: { name: 'web-config' } }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    },
  };
}

export async function runApiServerBench(): Promise<Figure[]> {
  const etcd = await startEtcd();
  const figures: Figure[] = [];
  try {
    // --- raw etcd baseline: create-if-absent transactions of the same bytes ---
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    const payload = Buffer.from(JSON.stringify(benchPod('x')));
    process.stdout.write(`pod payload ${payload.length} bytes\n`);
    const rawRun = await closedLoop(CREATES, IN_FLIGHT, async (i) => {
      const key = Buffer.from(`/raw/pods/default/p${i}`);
      await raw.kv.txn({
        compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: 0 }],
        success: [{ request_put: { key, value: payload } }],
      });
    });
    raw.close();
    const rawRate = CREATES / rawRun.seconds;

    // --- the apiserver, as its own process ---
    const api = await startApiServer(etcd.endpoint, '/registry');
    const pool = new Pool(api.url, { connections: IN_FLIGHT, pipelining: 1 });
    const post = async (path: string, body: unknown) => {
      const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`create failed ${res.statusCode}: ${text.slice(0, 200)}`);
    };
    // Warm up (first requests compile validators and fill caches).
    for (let i = 0; i < 200; i++) await post('/api/v1/namespaces/default/pods', benchPod(`warm-${i}`));
    const apiRun = await closedLoop(CREATES, IN_FLIGHT, (i) => post('/api/v1/namespaces/default/pods', benchPod(`p-${i}`)));
    const apiRate = CREATES / apiRun.seconds;
    figures.push(
      { name: 'raw etcd create-if-absent (64 in flight)', value: rawRate, unit: 'creates/s', note: `p50 ${percentile(rawRun.latencies, 50).toFixed(1)} ms, p99 ${percentile(rawRun.latencies, 99).toFixed(1)} ms` },
      { name: 'apiserver pod create (64 in flight)', value: apiRate, unit: 'creates/s', note: `p50 ${percentile(apiRun.latencies, 50).toFixed(1)} ms, p99 ${percentile(apiRun.latencies, 99).toFixed(1)} ms` },
      { name: 'apiserver / raw etcd create throughput', value: apiRate / rawRate, unit: 'ratio', target: '>= 0.5 (aim 0.7)' },
    );

    // --- 10,000-pod list ---
    const have = CREATES + 200;
    await closedLoop(LIST_PODS - have, IN_FLIGHT, (i) => post('/api/v1/namespaces/default/pods', benchPod(`fill-${i}`)));
    // Request to last byte: the server's latency. The body is checked after the clock stops,
    // so the client's own JSON.parse of ~12 MB is not counted.
    const list = async (query: string) => {
      const t0 = performance.now();
      const res = await pool.request({ method: 'GET', path: `/api/v1/namespaces/default/pods${query}` });
      const text = await res.body.text();
      const ms = performance.now() - t0;
      const body = JSON.parse(text) as { items?: unknown[] };
      if (body.items?.length !== LIST_PODS) throw new Error(`listed ${body.items?.length} pods: ${text.slice(0, 300)}`);
      return ms;
    };
    await list('?resourceVersion=0');
    const fromEtcd: number[] = [];
    const fromCache: number[] = [];
    for (let i = 0; i < 5; i++) { fromEtcd.push(await list('')); fromCache.push(await list('?resourceVersion=0')); }
    fromEtcd.sort((a, b) => a - b); fromCache.sort((a, b) => a - b);
    figures.push(
      { name: '10,000-pod list from etcd (median of 5)', value: percentile(fromEtcd, 50), unit: 'ms', target: '< 300 ms' },
      { name: '10,000-pod list from cache, resourceVersion=0', value: percentile(fromCache, 50), unit: 'ms', target: '< 300 ms' },
    );
    // Right after the lists the process still holds their garbage; the apiserver collects it
    // once big responses stop for a second (pkg/apiserver/memory-reclaimer.ts).
    const peak = rssMb(api.process.pid!);
    await new Promise((r) => setTimeout(r, 2000));
    figures.push({ name: 'apiserver RSS with 10,000 pods (2 s after the lists)', value: rssMb(api.process.pid!), unit: 'MB', target: '< 200 MB', note: `${peak.toFixed(0)} MB right after them` });

    // --- fan-out: 1,000 watchers, each gets every event ---
    const watchPool = new Pool(api.url, { connections: WATCHERS, pipelining: 1 });
    const delays: number[] = [];
    let delivered = 0;
    const ac = new AbortController();
    const ready: Promise<void>[] = [];
    const { revision } = await (async () => {
      const res = await pool.request({ method: 'GET', path: '/api/v1/namespaces/fanout/configmaps' });
      const body = JSON.parse(await res.body.text()) as { metadata?: { resourceVersion?: string } };
      return { revision: body.metadata?.resourceVersion ?? '0' };
    })().catch(() => ({ revision: '0' }));
    await post('/api/v1/namespaces', { metadata: { name: 'fanout' } });
    for (let w = 0; w < WATCHERS; w++) {
      ready.push((async () => {
        const res = await watchPool.request({ method: 'GET', path: `/api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=${revision}`, signal: ac.signal });
        void (async () => {
          let buf = '';
          try {
            for await (const chunk of res.body) {
              buf += chunk.toString();
              let nl: number;
              while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
                const ev = JSON.parse(line) as { object: { data?: { sent?: string } } };
                const sent = Number(ev.object.data?.sent);
                if (sent) { delays.push(Date.now() - sent); delivered++; }
              }
            }
          } catch { /* aborted */ }
        })();
      })());
    }
    await Promise.all(ready);
    const t0 = performance.now();
    for (let i = 0; i < FANOUT_EVENTS; i++) {
      await post('/api/v1/namespaces/fanout/configmaps', { metadata: { name: `c${i}` }, data: { sent: String(Date.now()) } });
      await new Promise((r) => setTimeout(r, 10));
    }
    const deadline = Date.now() + 30_000;
    while (delivered < WATCHERS * FANOUT_EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    ac.abort();
    delays.sort((a, b) => a - b);
    figures.push(
      { name: `watch fan-out: events delivered (${WATCHERS} watchers × ${FANOUT_EVENTS})`, value: delivered, unit: 'events', note: `${(delivered / seconds).toFixed(0)} events/s` },
      { name: 'watch fan-out p50 delivery delay', value: percentile(delays, 50), unit: 'ms' },
      { name: 'watch fan-out p99 delivery delay', value: percentile(delays, 99), unit: 'ms', target: '< 100 ms' },
    );
    await watchPool.destroy();
    await pool.close();
    await api.kill('SIGTERM');
  } finally {
    await etcd.stop();
  }
  return figures;
}
