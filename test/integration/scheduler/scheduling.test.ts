// The scheduler's loop against the real apiserver: waiting for a fitting node, the
// FailedScheduling message, priority order, preemption, and pods that aren't ours.
import t from 'tap';
import { createPriorityClass, startSchedulerCluster, until } from './scheduler-cluster.js';

t.test('an unschedulable pod is scheduled once a node that fits is added', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('small', { cpu: '1' });
  await c.startScheduler();
  await c.createPod('big', { cpu: '2' });
  await until('PodScheduled=False', async () => {
    const cond = (await c.getPod('big')).status?.conditions?.find((x) => x.type === 'PodScheduled');
    return cond?.status === 'False' && cond.reason === 'Unschedulable';
  });
  await c.createNode('large', { cpu: '4' });
  const pod = await c.waitForBound('big', 10_000);
  t.equal(pod.spec?.nodeName, 'large');
  t.equal(pod.status?.conditions?.find((x) => x.type === 'PodScheduled')?.status, 'True');
  // The scheduler records the event after the binding, in the background.
  let scheduled: Awaited<ReturnType<typeof c.eventsFor>> = [];
  await until('Scheduled event', async () => (scheduled = await c.eventsFor('big', 'Scheduled')).length > 0);
  t.equal(scheduled.length, 1);
  t.match(scheduled[0], { type: 'Normal', message: 'Successfully assigned default/big to large', source: { component: 'default-scheduler' } });
});

t.test('a pod with no nodes at all waits and is scheduled when the first node registers', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.startScheduler();
  await c.createPod('early');
  await until('FailedScheduling', async () => (await c.eventsFor('early', 'FailedScheduling')).length > 0);
  t.equal((await c.eventsFor('early', 'FailedScheduling'))[0]?.message, 'no nodes available to schedule pods');
  await c.createNode('first');
  t.equal((await c.waitForBound('early')).spec?.nodeName, 'first');
});

t.test('FailedScheduling says why per node: "0/3 nodes are available: ..."', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('tainted', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  await c.createNode('cordoned', { unschedulable: true });
  await c.createNode('small', { cpu: '500m' });
  const s = await c.startScheduler();
  await c.createPod('needy', { cpu: '1' });
  let events: Awaited<ReturnType<typeof c.eventsFor>> = [];
  await until('FailedScheduling', async () => (events = await c.eventsFor('needy', 'FailedScheduling')).length > 0);
  t.equal(events[0]?.type, 'Warning');
  t.equal(events[0]?.message,
    '0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. '
    + 'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..');
  t.match(events[0]?.involvedObject, { kind: 'Pod', namespace: 'default', name: 'needy' });
  const attempts = await s.metrics.scheduleAttempts.get();
  t.ok((attempts.values.find((v) => v.labels['result'] === 'unschedulable')?.value ?? 0) >= 1, 'counted as unschedulable');
  const text = await s.metrics.registry.metrics();
  t.match(text, /scheduler_pending_pods\{queue="unschedulable"\} 1/);
  t.match(text, /scheduler_scheduling_attempt_duration_seconds_count\{result="unschedulable",profile="default-scheduler"\} \d+/);
});

t.test('higher-priority pods are scheduled first', async (t) => {
  const c = await startSchedulerCluster(t);
  await createPriorityClass(c.client, 'low', 10);
  await createPriorityClass(c.client, 'mid', 100);
  await createPriorityClass(c.client, 'high', 1000);
  await c.createNode('one', { cpu: '2' });
  // All pending before the scheduler starts, lowest first: only priority decides.
  await c.createPod('low', { cpu: '1', priorityClassName: 'low' });
  await c.createPod('mid', { cpu: '1', priorityClassName: 'mid' });
  await c.createPod('high', { cpu: '1', priorityClassName: 'high' });
  await c.startScheduler();
  await c.waitForBound('high');
  await c.waitForBound('mid');
  await until('low fails', async () => (await c.eventsFor('low', 'FailedScheduling')).length > 0);
  t.notOk((await c.getPod('low')).spec?.nodeName, 'the lowest priority pod is left without room');
  t.match((await c.eventsFor('low', 'FailedScheduling'))[0]?.message, /^0\/1 nodes are available: 1 Insufficient cpu\. preemption: /);
});

t.test('preemption evicts the fewest lower-priority pods on one node and binds the preemptor there', async (t) => {
  const c = await startSchedulerCluster(t);
  await createPriorityClass(c.client, 'low', 10);
  await createPriorityClass(c.client, 'high', 1000);
  await c.createNode('four-small', { cpu: '2' });
  await c.createNode('two-big', { cpu: '2' });
  for (let i = 0; i < 4; i++) await c.createPod(`small-${i}`, { cpu: '500m', nodeName: 'four-small', priorityClassName: 'low' });
  for (let i = 0; i < 2; i++) await c.createPod(`big-${i}`, { cpu: '1', nodeName: 'two-big', priorityClassName: 'low' });
  await c.startScheduler();
  await c.createPod('vip', { cpu: '1', priorityClassName: 'high' });
  const vip = await c.waitForBound('vip');
  t.equal(vip.spec?.nodeName, 'two-big', 'one victim there instead of two on the other node');
  t.equal(vip.status?.nominatedNodeName, 'two-big', 'nominated before it was bound');
  const { items } = await c.client.resource('pods').list('default');
  const left = items.map((p) => p.metadata?.name).sort();
  t.equal(left.filter((n) => n?.startsWith('small-')).length, 4, 'no pod on the other node was touched');
  t.equal(left.filter((n) => n?.startsWith('big-')).length, 1, 'exactly one victim');
  const victim = ['big-0', 'big-1'].find((n) => !left.includes(n))!;
  // Events are recorded in the background: wait for them rather than read them once.
  let preempted: Awaited<ReturnType<typeof c.eventsFor>> = [];
  await until('Preempted event', async () => (preempted = await c.eventsFor(victim, 'Preempted')).length > 0);
  t.equal(preempted[0]?.message, `Preempted by pod ${vip.metadata?.uid} on node two-big`);
  let failed: Awaited<ReturnType<typeof c.eventsFor>> = [];
  await until('FailedScheduling event', async () => (failed = await c.eventsFor('vip', 'FailedScheduling')).length > 0);
  t.equal(failed[0]?.message, '0/2 nodes are available: 2 Insufficient cpu.', 'preemption succeeded: no preemption message');
});

t.test('pods for another scheduler and pods being deleted are left alone', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('n1');
  // A finalizer keeps the deleted pod around with its deletionTimestamp set.
  await c.client.resource('pods').create('default', {
    metadata: { name: 'doomed', finalizers: ['example.com/hold'] },
    spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] },
  });
  await c.client.resource('pods').delete('default', 'doomed');
  t.ok((await c.getPod('doomed')).metadata?.deletionTimestamp, 'doomed is terminating');
  await c.startScheduler();
  await c.createPod('theirs', { schedulerName: 'other-scheduler' });
  await c.createPod('ours');
  await c.waitForBound('ours');
  t.notOk((await c.getPod('theirs')).spec?.nodeName);
  t.notOk((await c.getPod('doomed')).spec?.nodeName);
  t.same(await c.eventsFor('theirs'), []);
  t.same(await c.eventsFor('doomed'), []);
});

t.test('bindings of other pods do not retry a pod that only a node change can help', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('n1');
  const s = await c.startScheduler();
  await c.createPod('wants-ssd', { spec: { nodeSelector: { disk: 'ssd' } } });
  await until('FailedScheduling', async () => (await c.eventsFor('wants-ssd', 'FailedScheduling')).length > 0);
  const unschedulable = async () => (await s.metrics.scheduleAttempts.get()).values.find((v) => v.labels['result'] === 'unschedulable')?.value ?? 0;
  const before = await unschedulable();
  for (let i = 0; i < 10; i++) await c.createPod(`filler-${i}`);
  for (let i = 0; i < 10; i++) await c.waitForBound(`filler-${i}`);
  t.equal(await unschedulable(), before, 'ten bound pods (AssignedPodAdd) did not wake it: NodeAffinity rejected it');
  await c.createNode('fast', { labels: { disk: 'ssd' } });
  t.equal((await c.waitForBound('wants-ssd')).spec?.nodeName, 'fast', 'a new node (NodeAdd) did');
});

t.test('a pod nominated to a node holds its place against lower-priority pods', async (t) => {
  const c = await startSchedulerCluster(t);
  await createPriorityClass(c.client, 'low', 10);
  await createPriorityClass(c.client, 'high', 1000);
  await c.createNode('n1', { cpu: '2' });
  // Nominated by an earlier preemption, still waiting (here: for a label no node has yet).
  await c.createPod('nominee', { cpu: '2', priorityClassName: 'high', spec: { nodeSelector: { ready: 'yes' } } });
  await c.client.resource('pods').patch('default', 'nominee', 'merge', { status: { nominatedNodeName: 'n1' } }, { subresource: 'status' });
  await c.startScheduler();
  await c.createPod('latecomer', { cpu: '1', priorityClassName: 'low' });
  await until('latecomer fails', async () => (await c.eventsFor('latecomer', 'FailedScheduling')).length > 0);
  t.match((await c.eventsFor('latecomer', 'FailedScheduling'))[0]?.message, /^0\/1 nodes are available: 1 Insufficient cpu\./);
  await c.createNode('n2', { cpu: '2' });
  t.equal((await c.waitForBound('latecomer')).spec?.nodeName, 'n2');
});
