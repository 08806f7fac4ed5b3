// 200 pods at once onto nodes with room for exactly 200: assumed pods must keep every
// later cycle honest while the bindings are still in flight.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { milliValue } from '../../../pkg/api/quantity.js';
import { startSchedulerCluster, until } from './scheduler-cluster.js';

const NODES = 8;
const PODS = 200;

t.test('a burst of 200 pods fills nodes with room for exactly 200 and overcommits none', async (t) => {
  const c = await startSchedulerCluster(t);
  // 25 pods of 100m fit in 2500m; memory has room to spare, the pod count caps a node too.
  for (let i = 0; i < NODES; i++) await c.createNode(`node-${i}`, { cpu: '2500m', memory: '64Gi', pods: '110' });
  const s = await c.startScheduler();
  const pods = c.client.resource('pods');
  const started = Date.now();
  const batch = 20;
  for (let i = 0; i < PODS; i += batch) {
    await Promise.all(Array.from({ length: batch }, (_, j) => c.createPod(`burst-${i + j}`, { cpu: '100m', memory: '64Mi' })));
  }
  let items: Pod[] = [];
  await until('all 200 bound', async () => {
    items = (await pods.list('default')).items;
    return items.length === PODS && items.every((p) => p.spec?.nodeName);
  }, 60_000, 200);
  t.comment(`200 pods created and bound in ${Date.now() - started} ms`);

  const perNode = new Map<string, { cpu: number; count: number }>();
  for (const p of items) {
    const n = perNode.get(p.spec!.nodeName!) ?? { cpu: 0, count: 0 };
    n.cpu += milliValue(p.spec?.containers[0]?.resources?.requests?.['cpu'] ?? '0');
    n.count++;
    perNode.set(p.spec!.nodeName!, n);
  }
  t.equal(perNode.size, NODES, 'every node used');
  for (const [node, { cpu, count }] of perNode) t.ok(cpu <= 2500, `${node}: ${count} pods request ${cpu}m of 2500m`);

  // One more pod cannot fit anywhere.
  await c.createPod('one-too-many', { cpu: '100m' });
  await until('one-too-many fails', async () => (await c.eventsFor('one-too-many', 'FailedScheduling')).length > 0);
  t.equal((await c.eventsFor('one-too-many', 'FailedScheduling'))[0]?.message?.split('. preemption')[0], `0/${NODES} nodes are available: ${NODES} Insufficient cpu`);
  const attempts = (await s.metrics.scheduleAttempts.get()).values;
  t.equal(attempts.find((v) => v.labels['result'] === 'scheduled')?.value, PODS, 'each pod scheduled exactly once');
  t.notOk(attempts.find((v) => v.labels['result'] === 'error')?.value, 'no binding failed');
});
