// kube-scheduler figures (issue 15 §6): the real scheduler process against the real apiserver
// and etcd. 1,000 nodes are created through the API as kwok creates them (status included, no
// kubelet), then 10,000 pending pods with requests: most plain, 10% with a nodeSelector, 5%
// with required pod anti-affinity (hostname) and 5% with a zone topology spread constraint.
// Reported: pods bound per second from the first create to the last bind, create→bound
// latency (the bench's own watch sees spec.nodeName), the scheduler's CPU per pod and RSS.
//
// SCHEDULER_BENCH_CPU_PROF=<dir> starts the scheduler with `node --cpu-prof` into that dir;
// SCHEDULER_BENCH_NODES / SCHEDULER_BENCH_PODS shrink the run for quick looks.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { freePort } from '../harness/free-port.js';
import { componentMain, cpuSeconds, rssMb, withApiServer } from '../harness/components.js';
import { componentEnv, componentNodeArgs } from '../../pkg/component/process-env.js';
import { percentile, type Figure } from './bench-report.js';

const NODES = Number(process.env['SCHEDULER_BENCH_NODES'] ?? 1000);
const PODS = Number(process.env['SCHEDULER_BENCH_PODS'] ?? 10_000);
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const NAMESPACE = 'default';
const CREATE_IN_FLIGHT = 16;
/** Anti-affinity pods come in groups whose members must land on different nodes. */
const ANTI_GROUP_SIZE = 10;
const SPREAD_GROUP_SIZE = 50;
const BIND_TIMEOUT_MS = 10 * 60_000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
/**
 * kube-scheduler's CI pass mark for SchedulingBasic/5000Nodes_10000Pods (5,000 nodes, 1,000
 * pods placed first, then 10,000 measured pods of cpu 100m / memory 500Mi), in pods/s.
 */
const UPSTREAM_THRESHOLD = 680;
const UPSTREAM_SOURCE = 'kube-scheduler scheduler_perf SchedulingBasic/5000Nodes_10000Pods threshold: 680 pods/s (kubernetes/kubernetes test/integration/scheduler_perf/misc/performance-config.yaml @008b365); CI machines, scheduler in-process with apiserver+etcd';

/** A node as kwok creates one: labels, capacity, a Ready condition, and nothing running it. */
export function kwokNode(i: number): Node {
  const name = `kwok-node-${i}`;
  const resources = { cpu: '4', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent', 'node-role.kubernetes.io/agent': '', type: 'kwok',
        'topology.kubernetes.io/zone': ZONES[i % ZONES.length]!,
        ...(i % 4 === 0 ? { disktype: 'ssd' } : {}),
      },
    },
    status: {
      allocatable: resources, capacity: resources,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [{ type: 'InternalIP', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }],
      nodeInfo: {
        architecture: 'amd64', bootID: '', containerRuntimeVersion: 'kwok-v0.6.0', kernelVersion: 'kwok-v0.6.0',
        kubeProxyVersion: 'fake', kubeletVersion: 'fake', machineID: '', operatingSystem: 'linux', osImage: '', systemUUID: '',
      },
      phase: 'Running',
    },
  };
}

export type PodKind = 'plain' | 'nodeSelector' | 'antiAffinity' | 'spread';

/** 5% anti-affinity, 5% spread, 10% nodeSelector, the rest plain, interleaved. */
export function podKind(i: number): PodKind {
  if (i % 20 === 0) return 'antiAffinity';
  if (i % 20 === 1) return 'spread';
  if (i % 10 === 2) return 'nodeSelector';
  return 'plain';
}

/** A pending pod as scheduler_perf's pod-default (cpu 100m, memory 500Mi), plus its kind's constraint. */
export function benchPod(i: number): Pod {
  const kind = podKind(i);
  const labels: Record<string, string> = { app: 'sched-bench', kind };
  const spec: NonNullable<Pod['spec']> = {
    containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }],
  };
  if (kind === 'nodeSelector') spec.nodeSelector = { disktype: 'ssd' };
  if (kind === 'antiAffinity') {
    const group = `anti-${Math.floor(i / 20 / ANTI_GROUP_SIZE)}`;
    labels['group'] = group;
    spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    };
  }
  if (kind === 'spread') {
    const group = `spread-${Math.floor(i / 20 / SPREAD_GROUP_SIZE)}`;
    labels['group'] = group;
    spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { group } } }];
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `sched-bench-${i}`, namespace: NAMESPACE, labels }, spec };
}


async function inParallel(total: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < total; i = next++) await fn(i);
  }));
}

const log = (msg: string) => process.stdout.write(`  [scheduler bench] ${msg}\n`);

/** The scheduler as its own process; with `profDir`, under `node --cpu-prof` (which NODE_OPTIONS refuses). */
async function startScheduler(args: string[], readyz: string, profDir: string | undefined): Promise<{ pid: number | undefined; output(): string; stop(): Promise<void> }> {
  const nodeArgs = componentNodeArgs(componentMain('kube-scheduler'), args);
  // Its log goes to a file, as a deployed scheduler's does: through a pipe to this busy process,
  // pino's synchronous writes would wait for the bench to read them.
  const logFile = join(mkdtempSync(join(tmpdir(), 'scheduler-bench-')), 'kube-scheduler.log');
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...nodeArgs] : nodeArgs, { stdio: ['ignore', fd, fd], env: componentEnv() });
  closeSync(fd);
  const out = () => {
    try { return readFileSync(logFile, 'utf8').slice(-4000); } catch { return ''; }
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    if (profDir) log(`CPU profile of the scheduler written to ${profDir}`);
    rmSync(dirname(logFile), { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`kube-scheduler exited with ${proc.exitCode}: ${out()}`);
    try { if ((await fetch(readyz)).ok) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`kube-scheduler not ready at ${readyz}: ${out()}`); }
    await sleep(100);
  }
  return { pid: proc.pid, output: out, stop };
}

export async function runSchedulerBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await withApiServer(async ({ api, etcdPid, processes }) => {
    const client = new RestClient({ server: api, userAgent: 'scheduler-bench' });
    let stopScheduler = async () => {};
    try {
      let t = performance.now();
      await inParallel(NODES, CREATE_IN_FLIGHT, async (i) => { await client.resource('nodes').create('', kwokNode(i)); });
      log(`${NODES} nodes created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      const schedPort = await freePort();
      // Started after the nodes, so /readyz (informers synced) means it sees them all.
      const scheduler = await startScheduler(['--master', api, '--port', String(schedPort), '--leader-elect=false'], `http://127.0.0.1:${schedPort}/readyz`, process.env['SCHEDULER_BENCH_CPU_PROF']);
      stopScheduler = scheduler.stop;
      const apiPid = processes[0]?.process.pid;
      const schedPid = scheduler.pid;
      await sleep(1000);

      const createdAt = new Float64Array(PODS);
      const boundAt = new Float64Array(PODS);
      let bound = 0;
      let allBound!: () => void;
      const allBoundP = new Promise<void>((r) => { allBound = r; });
      const watchAbort = new AbortController();
      // Only bound pods match: each pod is one event, when the scheduler's binding lands.
      const watching = (async () => {
        const list = await client.resource('pods').list(NAMESPACE, { fieldSelector: 'spec.nodeName!=', limit: 1 });
        for await (const ev of client.resource('pods').watch(NAMESPACE, { fieldSelector: 'spec.nodeName!=', resourceVersion: list.metadata.resourceVersion ?? '0', signal: watchAbort.signal })) {
          if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
          const pod = ev.object as Pod;
          const i = Number(pod.metadata?.name?.slice('sched-bench-'.length));
          if (!pod.spec?.nodeName || !Number.isInteger(i) || boundAt[i]) continue;
          boundAt[i] = performance.now();
          if (++bound === PODS) allBound();
        }
      })().catch((e: unknown) => { if (!watchAbort.signal.aborted) log(`watch ended: ${String(e)}`); });
      await sleep(200);

      const cpu0 = { sched: cpuSeconds(schedPid), api: cpuSeconds(apiPid), etcd: cpuSeconds(etcdPid) };
      const t0 = performance.now();
      let created = 0;
      const progress = setInterval(() => {
        log(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${created} created, ${bound} bound, scheduler RSS ${rssMb(schedPid).toFixed(0)} MB`);
      }, 5000);
      let createSeconds = 0;
      try {
        await inParallel(PODS, CREATE_IN_FLIGHT, async (i) => {
          createdAt[i] = performance.now();
          await client.resource('pods').create(NAMESPACE, benchPod(i));
          created++;
        });
        createSeconds = (performance.now() - t0) / 1000;
        const timedOut = await Promise.race([allBoundP.then(() => false), sleep(BIND_TIMEOUT_MS).then(() => true)]);
        if (timedOut) throw new Error(`only ${bound} of ${PODS} pods bound within ${BIND_TIMEOUT_MS / 1000} s: ${scheduler.output().slice(-2000)}`);
      } finally {
        clearInterval(progress);
      }
      const lastBind = boundAt.reduce((m, v) => Math.max(m, v), 0);
      const seconds = (lastBind - t0) / 1000;
      const cpu = { sched: cpuSeconds(schedPid) - cpu0.sched, api: cpuSeconds(apiPid) - cpu0.api, etcd: cpuSeconds(etcdPid) - cpu0.etcd };
      const latencies = Array.from(boundAt, (b, i) => (b - createdAt[i]!) / 1000).sort((a, b) => a - b);
      const schedRss = rssMb(schedPid);
      const schedPeak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${schedPid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      watchAbort.abort();
      await watching;

      const label = `${PODS} pods on ${NODES} kwok nodes`;
      figures.push({ name: `${label}: bound per second (first create → last bind)`, value: PODS / seconds, unit: 'pods/s', target: '≥ 680, aim 1,000', note: `upstream: ${UPSTREAM_THRESHOLD} pods/s (${UPSTREAM_SOURCE})` });
      figures.push({ name: '  pods created per second (the ceiling above)', value: PODS / createSeconds, unit: 'pods/s' });
      figures.push({ name: '  create → bound p50', value: percentile(latencies, 50), unit: 's' });
      figures.push({ name: '  create → bound p99', value: percentile(latencies, 99), unit: 's' });
      figures.push({ name: '  scheduler CPU per pod', value: (cpu.sched * 1000) / PODS, unit: 'ms', note: `${(cpu.sched / seconds).toFixed(2)} cores over the run` });
      figures.push({ name: '  apiserver + etcd CPU per pod', value: ((cpu.api + cpu.etcd) * 1000) / PODS, unit: 'ms', note: `apiserver ${(cpu.api / seconds).toFixed(2)} + etcd ${(cpu.etcd / seconds).toFixed(2)} cores` });
      figures.push({ name: '  scheduler RSS at the end (peak)', value: schedRss, unit: 'MB', note: `peak ${schedPeak.toFixed(0)} MB` });
    } finally {
      // Stopped with SIGTERM, so a CPU profile asked for is written.
      await stopScheduler();
      await client.destroy();
    }
  });
  return figures;
}
