// Whole-cluster figures: a Deployment of 1,000 replicas on fake-runtime nodes (create → all
// available, then a full rolling update), the control plane's RSS at idle and with 1,000
// pods, and the cold start of `tskube up` to a Ready node.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../harness/free-port.js';
import { rssMb, withApiServer } from '../harness/components.js';
import { measureColdStart } from '../../pkg/launcher/measure-cold-start.js';
import type { Figure } from './bench-report.js';

const REPLICAS = 1000;
const FAKE_NODES = 10;

interface DeploymentStatus { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number }

async function waitRollout(api: string, name: string, generation: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await (await fetch(`${api}/apis/apps/v1/namespaces/default/deployments/${name}`)).json() as { status?: DeploymentStatus; metadata: { generation: number } };
    const s = d.status ?? {};
    if ((s.observedGeneration ?? 0) >= generation && s.updatedReplicas === REPLICAS && s.availableReplicas === REPLICAS && s.replicas === REPLICAS) return;
    if (Date.now() > deadline) throw new Error(`rollout of ${name} not done: ${JSON.stringify(s)}`);
    await sleep(250);
  }
}

export async function runClusterBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await withApiServer(async ({ api, etcdPid, processes, start }) => {
    const schedPort = await freePort();
    const cmPort = await freePort();
    const kubeletPort = await freePort();
    await start('kube-scheduler', ['--master', api, '--port', String(schedPort)], { healthz: `http://127.0.0.1:${schedPort}/healthz` });
    await start('kube-controller-manager', ['--master', api, '--port', String(cmPort)], { healthz: `http://127.0.0.1:${cmPort}/healthz` });
    const kubelet = await start('kubelet', ['--master', api, '--runtime', 'fake', '--fake-nodes', String(FAKE_NODES), '--node-name', 'hollow', '--max-pods', '150', '--port', String(kubeletPort)]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const nodes = await (await fetch(`${api}/api/v1/nodes`)).json() as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      if (nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= FAKE_NODES) break;
      if (Date.now() > deadline) throw new Error(`fake nodes not Ready: ${kubelet.output()}`);
      await sleep(250);
    }
    await sleep(3000);
    const controlPlane = () => processes.slice(0, 3).reduce((sum, p) => sum + rssMb(p.process.pid), 0) + rssMb(etcdPid);
    figures.push({ name: 'control plane RSS at idle (etcd + apiserver + scheduler + controller-manager)', value: controlPlane(), unit: 'MB', note: 'k3s: 1450 MB min. for a cluster with one agent, embedded etcd (docs.k3s.io/reference/resource-profiling, v1.26.5)' });

    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big' },
      spec: {
        replicas: REPLICAS, selector: { matchLabels: { app: 'big' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
      },
    };
    let t0 = performance.now();
    const created = await fetch(`${api}/apis/apps/v1/namespaces/default/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(deployment) });
    if (created.status !== 201) throw new Error(`create deployment: ${created.status} ${await created.text()}`);
    await waitRollout(api, 'big', 1, 600_000);
    figures.push({ name: `Deployment of ${REPLICAS} replicas on ${FAKE_NODES} fake nodes: create → all available`, value: (performance.now() - t0) / 1000, unit: 's' });
    figures.push({ name: `control plane RSS with ${REPLICAS} pods`, value: controlPlane(), unit: 'MB' });

    t0 = performance.now();
    const patched = await fetch(`${api}/apis/apps/v1/namespaces/default/deployments/big`, {
      method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:latest' }] } } } }),
    });
    if (patched.status !== 200) throw new Error(`set image: ${patched.status} ${await patched.text()}`);
    await waitRollout(api, 'big', 2, 900_000);
    figures.push({ name: `rolling update of ${REPLICAS} replicas (maxSurge 25%, maxUnavailable 25%)`, value: (performance.now() - t0) / 1000, unit: 's' });
  });

  try {
    const cold = await measureColdStart({ port: await freePort(), runtime: 'docker' });
    figures.push({ name: 'cold start: tskube up → kubectl get nodes shows Ready', value: cold.ms / 1000, unit: 's' });
  } catch (e) {
    figures.push({ name: 'cold start: tskube up → node Ready', value: NaN, unit: 's', note: `failed: ${(e as Error).message.slice(0, 200)}` });
  }
  return figures;
}
