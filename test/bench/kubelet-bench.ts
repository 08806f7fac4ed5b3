// Pod startup latency on real Docker (issue: kubelet): create → Running with every container
// started, for one pod at a time and for a burst of 50 pods on one node, next to Kubernetes'
// pod startup SLO (p99 <= 5 s, images already present).
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../harness/free-port.js';
import { withApiServer } from '../harness/components.js';
import { percentile, type Figure } from './bench-report.js';
import { DockerRuntime } from '../../pkg/kubelet/runtime/docker/docker-runtime.js';

const SINGLE = 5;
const BURST = 50;
const NODE = 'bench-node';

interface PodStatus { phase?: string; containerStatuses?: { started?: boolean; state?: { running?: unknown } }[] }

function pod(name: string) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'startup' } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  };
}

/** Creates the pods at once and returns each one's create → all-containers-running latency (ms). */
async function startPods(api: string, names: string[]): Promise<number[]> {
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const ac = new AbortController();
  const list = await (await fetch(`${api}/api/v1/namespaces/default/pods`)).json() as { metadata: { resourceVersion: string } };
  const res = await fetch(`${api}/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
  const watching = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body!) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string }; status?: PodStatus } };
          buf = buf.slice(nl + 1);
          const s = ev.object.status;
          const name = ev.object.metadata.name;
          if (!running.has(name) && s?.phase === 'Running' && s.containerStatuses?.every((c) => c.started || c.state?.running)) running.set(name, performance.now());
        }
        if (running.size === names.length) return;
      }
    } catch { /* aborted */ }
  })();
  await Promise.all(names.map(async (name) => {
    const t0 = performance.now();
    const r = await fetch(`${api}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pod(name)) });
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
    created.set(name, t0);
  }));
  const deadline = Date.now() + 120_000;
  while (running.size < names.length && Date.now() < deadline) await sleep(50);
  ac.abort();
  await watching;
  if (running.size < names.length) throw new Error(`only ${running.size}/${names.length} pods running`);
  return names.map((n) => running.get(n)! - created.get(n)!).sort((a, b) => a - b);
}

/** Deletes the bench pods and waits until the kubelet has removed their containers too. */
async function deleteAll(api: string): Promise<void> {
  await fetch(`${api}/api/v1/namespaces/default/pods?labelSelector=bench%3Dstartup`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gracePeriodSeconds: 0 }) });
  // Scoped to this run's cluster, as the kubelet is: leftovers of an interrupted earlier run
  // on a node of the same name are not this run's to wait for.
  const kubeSystem = await (await fetch(`${api}/api/v1/namespaces/kube-system`)).json() as { metadata: { uid: string } };
  const node = new DockerRuntime({ nodeName: NODE, clusterId: kubeSystem.metadata.uid });
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      const list = await (await fetch(`${api}/api/v1/namespaces/default/pods?labelSelector=bench%3Dstartup`)).json() as { items: unknown[] };
      if ((!list.items.length && (await node.listSandboxes()).length === 0) || Date.now() > deadline) return;
      await sleep(250);
    }
  } finally {
    await node.close();
  }
}

/** kubelet_runtime_operations_total from the kubelet's /metrics, by operation_type. */
async function runtimeOperations(kubelet: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${kubelet}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^kubelet_runtime_operations_total\{operation_type="([^"]+)"\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Runtime calls made between two readings, per pod: lists and statuses (the chatter), and all of them. */
function callsPerPod(before: Map<string, number>, after: Map<string, number>, pods: number): { listAndStatus: number; all: number; detail: string } {
  const delta = [...after].map(([op, n]) => [op, n - (before.get(op) ?? 0)] as const).filter(([, n]) => n > 0);
  const sum = (ops: (op: string) => boolean) => delta.filter(([op]) => ops(op)).reduce((acc, [, n]) => acc + n, 0) / pods;
  return {
    listAndStatus: sum((op) => /^list_|_status$/.test(op)),
    all: sum(() => true),
    detail: delta.map(([op, n]) => `${op} ${(n / pods).toFixed(1)}`).join(', '),
  };
}

/**
 * The same burst straight through the Docker Engine API (a sandbox and one container per pod,
 * no kubelet, no apiserver): what this machine's Docker can do at best.
 */
async function dockerBaseline(count: number): Promise<number[]> {
  const rt = new DockerRuntime({ nodeName: `bench-baseline-${process.pid}` });
  const latencies = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const t0 = performance.now();
    const uid = `baseline-${process.pid}-${i}`;
    const sandbox = await rt.runSandbox({ metadata: { name: `b${i}`, namespace: 'bench', uid, attempt: 0 } });
    const id = await rt.createContainer(sandbox, { metadata: { name: 'c', attempt: 0 }, image: 'busybox:1.35', command: ['sleep', '3600'] });
    await rt.startContainer(id);
    return performance.now() - t0;
  }));
  for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.id);
  await rt.close();
  return latencies.sort((a, b) => a - b);
}

export async function runKubeletBench(): Promise<Figure[]> {
  return withApiServer(async ({ api, start }) => {
    const kubeletPort = await freePort();
    await start('kubelet', ['--master', api, '--node-name', NODE, '--runtime', 'docker', '--port', String(kubeletPort), '--root-dir', '/tmp/tskube-bench-kubelet'], { healthz: `http://127.0.0.1:${kubeletPort}/healthz`, timeoutMs: 60_000 });
    // Warm up: the first pod on a node creates the pod network and touches the images.
    await startPods(api, ['warm-up']);
    await deleteAll(api);
    const single: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      single.push(...await startPods(api, [`single-${i}`]));
      await deleteAll(api);
    }
    single.sort((a, b) => a - b);
    const kubelet = `http://127.0.0.1:${kubeletPort}`;
    const before = await runtimeOperations(kubelet);
    const burst = await startPods(api, Array.from({ length: BURST }, (_, i) => `burst-${i}`));
    const calls = callsPerPod(before, await runtimeOperations(kubelet), BURST);
    await deleteAll(api);
    const baseline = await dockerBaseline(BURST);
    return [
      { name: `one pod: create → Running, all containers started (p50 of ${SINGLE})`, value: percentile(single, 50), unit: 'ms', target: 'p50 < 1000 ms' },
      { name: `burst of ${BURST} pods on one node: p50`, value: percentile(burst, 50), unit: 'ms' },
      { name: `burst of ${BURST} pods on one node: p99`, value: percentile(burst, 99), unit: 'ms', target: 'p99 <= 5000 ms (Kubernetes pod startup SLO)' },
      { name: `burst: runtime list+status calls per pod until all Running`, value: calls.listAndStatus, unit: 'calls', note: `(all runtime calls: ${calls.all.toFixed(1)} per pod: ${calls.detail})` },
      { name: `baseline: ${BURST} sandbox+container pairs straight through the Docker API: p50`, value: percentile(baseline, 50), unit: 'ms' },
      { name: `baseline: ${BURST} sandbox+container pairs straight through the Docker API: p99`, value: percentile(baseline, 99), unit: 'ms', note: `kubelet burst p99 / Docker baseline p99 = ${(percentile(burst, 99) / percentile(baseline, 99)).toFixed(2)}` },
    ];
  });
}
