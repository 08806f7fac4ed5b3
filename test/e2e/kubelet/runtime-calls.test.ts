// How much the kubelet asks the runtime to start pods, from its own
// kubelet_runtime_operations_total: a few pods created at once on real Docker must each cost
// a bounded number of list and status calls. Docker's lists and inspects compete with the
// creates and starts of a burst, so chatter here is startup latency there.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { requireDocker } from '../../harness/docker.js';
import { startKubeletOnDocker, until } from './kubelet-harness.js';

const NS = 'default';
const PODS = 8;
const nodeName = `e2e-calls-${process.pid}-${Date.now().toString(36)}`;

/**
 * List and status calls per started pod, past the relist's own. Starting a pod takes two
 * observes (before acting and after; each lists the pod's sandboxes and its containers), one
 * sandbox status, one container status and one image status: 7 calls. The relist mostly
 * catches a pod half-started and syncs it once more (2 lists, statuses reused): about 9 is
 * what this measures. 14 leaves room for a loaded machine's slower starts, which the relist
 * catches more often. When each status write the kubelet made came back as one more sync and
 * every observe inspected everything again, this was 22.
 */
const MAX_CALLS_PER_POD = 14;
/** The relist lists sandboxes and containers once each per period (default 1 s). */
const RELIST_PERIOD_MS = 1000;

async function runtimeOperations(kubelet: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${kubelet}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^kubelet_runtime_operations_total\{operation_type="([^"]+)"\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

if (await requireDocker(t)) await main();

async function main(): Promise<void> {
  const { client, port } = await startKubeletOnDocker(t, nodeName);
  const metrics = `http://127.0.0.1:${port}`;
  await until('kubelet metrics', async () => ((await fetch(`${metrics}/metrics`)).ok ? true : undefined), 60_000);
  await until('node registered', () => client.resource('nodes').get('', nodeName), 30_000);

  await t.test(`${PODS} pods started at once cost at most ${MAX_CALLS_PER_POD} runtime list and status calls each`, async (t) => {
    const before = await runtimeOperations(metrics);
    const t0 = Date.now();
    const pods = client.resource('pods');
    await Promise.all(Array.from({ length: PODS }, (_, i) => pods.create(NS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `calls-${i}`, namespace: NS },
      spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] },
    } satisfies Pod)));
    await until(`${PODS} pods Running`, async () => {
      const list = await pods.list(NS);
      return list.items.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running).length === PODS ? true : undefined;
    }, 120_000);
    // Include what follows the last status write (its watch event coming back, the relist
    // seeing the last containers start): a quiet spell, not a state, so a plain wait.
    await sleep(3 * RELIST_PERIOD_MS);
    const after = await runtimeOperations(metrics);
    const elapsedMs = Date.now() - t0;

    const delta = new Map([...after].map(([op, n]) => [op, n - (before.get(op) ?? 0)]));
    t.comment(`runtime calls for ${PODS} pods in ${elapsedMs} ms: ${[...delta].filter(([, n]) => n > 0).map(([op, n]) => `${op} ${n}`).join(', ')}`);
    t.equal(delta.get('run_podsandbox'), PODS, 'one sandbox per pod');
    t.equal(delta.get('start_container'), PODS, 'one container start per pod');
    const relistCalls = 2 * (Math.ceil(elapsedMs / RELIST_PERIOD_MS) + 1);
    const listAndStatus = [...delta].filter(([op]) => /^list_|_status$/.test(op)).reduce((acc, [, n]) => acc + n, 0);
    const perPod = Math.max(0, listAndStatus - relistCalls) / PODS;
    t.comment(`list and status calls per pod past the relist's ${relistCalls}: ${perPod.toFixed(1)}`);
    t.ok(perPod <= MAX_CALLS_PER_POD, `${perPod.toFixed(1)} list and status calls per pod (at most ${MAX_CALLS_PER_POD})`);
  });
}
