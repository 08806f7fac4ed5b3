import { startEtcd } from '../dist/test/harness/etcd.js';
import { KeepAliveLoad } from '../dist/test/bench/keep-alive-load.js';
import { closedLoop } from '../dist/test/bench/bench-report.js';
import { benchPod } from '../dist/test/bench/apiserver-bench.js';
import { componentEnv } from '../dist/pkg/component/process-env.js';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
const etcd = await startEtcd();
const port = 18080;
const profPhase = process.argv[2];
const url = `http://127.0.0.1:${port}`;
async function startApi(prof) {
  const flags = (process.env.APIFLAGS ? process.env.APIFLAGS.split(' ') : []).concat(prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--cpu-prof-interval=250'] : []);
  const proc = spawn(process.execPath, [...flags, '../dist/cmd/kube-apiserver/main.js', '--etcd-servers', etcd.endpoint, '--insecure-port', String(port)], { stdio: 'ignore', env: componentEnv() });
  for (;;) { try { if ((await fetch(`${url}/readyz`)).ok) break; } catch {} await sleep(100); }
  return proc;
}
let proc = await startApi(profPhase === 'create');
const load = new KeepAliveLoad(url, 64);
const what = process.argv[3] ?? 'both';
const N = Number(process.argv[4] ?? 10000);
import { readFileSync } from 'node:fs';
const stat = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return { minflt: Number(f[7]), cpu: (Number(f[11]) + Number(f[12])) * 10, sys: Number(f[12]) * 10 }; };
await closedLoop(5000, 64, async (i) => {
  const r = await load.post('/api/v1/namespaces/kube-system/pods', JSON.stringify(benchPod(`w-${i}`, 'kube-system')));
  if (r.status !== 201) throw new Error(String(r.status));
});
const s0 = stat(proc.pid), e0 = stat(etcd.process.pid), me0 = stat(process.pid);
let t0 = performance.now();
await closedLoop(N, 64, async (i) => {
  const r = await load.post('/api/v1/namespaces/default/pods', JSON.stringify(benchPod(`p-${i}`)));
  if (r.status !== 201) throw new Error(String(r.status));
});
console.log('creates/s', (N / ((performance.now() - t0) / 1000)).toFixed(0));
{ const s1 = stat(proc.pid), e1 = stat(etcd.process.pid), me1 = stat(process.pid); console.log('per create: apiserver faults', ((s1.minflt - s0.minflt) / N).toFixed(2), 'cpu ms', ((s1.cpu - s0.cpu) / N).toFixed(3), 'sys', ((s1.sys - s0.sys) / N).toFixed(3), '| etcd faults', ((e1.minflt - e0.minflt) / N).toFixed(2), 'cpu', ((e1.cpu - e0.cpu) / N).toFixed(3), '| client faults', ((me1.minflt - me0.minflt) / N).toFixed(2), 'cpu', ((me1.cpu - me0.cpu) / N).toFixed(3)); }
load.close();
const get = (q) => new Promise((resolve, reject) => {
  const t0 = performance.now(); let first = 0; let n = 0;
  request(`${url}/api/v1/namespaces/default/pods${q}`, (res) => {
    res.on('data', (c) => { if (!first) first = performance.now() - t0; n += c.length; });
    res.on('end', () => resolve({ ms: performance.now() - t0, first, n }));
  }).on('error', reject).end();
});
proc.kill('SIGTERM'); await new Promise((r) => proc.on('exit', r));
proc = await startApi(profPhase === 'list');
if (what !== 'create') {
  for (const q of ['', '?resourceVersion=0']) await get(q);
  for (let i = 0; i < 5; i++) for (const q of ['', '?resourceVersion=0']) { const r = await get(q); console.log(q || 'etcd', r.ms.toFixed(0), 'first byte', r.first.toFixed(0), r.n); }
}
proc.kill('SIGTERM'); await new Promise((r) => proc.on('exit', r)); await etcd.stop();
