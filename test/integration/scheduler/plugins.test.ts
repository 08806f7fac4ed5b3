// Each filter plugin's behaviour end to end: Nodes and Pods through the real apiserver,
// the scheduler binding through pods/binding, and FailedScheduling naming the plugin's reason.
// The doubled full stop after the preemption message is Kubernetes' own (FitError.Error()
// adds " %v." after a PostFilter message that already ends in one).
import t from 'tap';
import { startSchedulerCluster, until, type SchedulerCluster } from './scheduler-cluster.js';

async function failedSchedulingMessage(c: SchedulerCluster, pod: string): Promise<string> {
  let message = '';
  await until(`FailedScheduling for ${pod}`, async () => {
    message = (await c.eventsFor(pod, 'FailedScheduling'))[0]?.message ?? '';
    return message !== '';
  });
  return message;
}

t.test('NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('cordoned', { unschedulable: true });
  await c.createNode('open');
  await c.startScheduler();
  await c.createPod('plain');
  t.equal((await c.waitForBound('plain')).spec?.nodeName, 'open');
  await c.createPod('tolerant', {
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': 'cordoned' },
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    },
  });
  t.equal((await c.waitForBound('tolerant')).spec?.nodeName, 'cordoned');
  await c.createPod('stuck', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'cordoned' } } });
  t.equal(await failedSchedulingMessage(c, 'stuck'),
    "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..");
});

t.test('NodeName: a pod created with spec.nodeName bypasses the queue yet its requests count on its node', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('n1', { cpu: '2' });
  await c.createNode('n2', { cpu: '2' });
  await c.createPod('pinned', { nodeName: 'n1', cpu: '2' });
  const s = await c.startScheduler();
  await c.createPod('free', { cpu: '1' });
  t.equal((await c.waitForBound('free')).spec?.nodeName, 'n2', 'n1 is full of the pinned pod');
  t.same(await c.eventsFor('pinned', 'Scheduled'), [], 'the pinned pod was never scheduled');
  t.equal((await s.metrics.scheduleAttempts.get()).values.find((v) => v.labels['result'] === 'scheduled')?.value, 1);
});

t.test('NodeAffinity: nodeSelector and required node affinity pick labelled nodes', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('a', { labels: { zone: 'a', disk: 'hdd' } });
  await c.createNode('b', { labels: { zone: 'b', disk: 'ssd' } });
  await c.startScheduler();
  await c.createPod('selector', { spec: { nodeSelector: { zone: 'b' } } });
  await c.createPod('affinity', {
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }],
          },
        },
      },
    },
  });
  await c.createPod('nowhere', { spec: { nodeSelector: { zone: 'c' } } });
  t.equal((await c.waitForBound('selector')).spec?.nodeName, 'b');
  t.equal((await c.waitForBound('affinity')).spec?.nodeName, 'a');
  t.equal(await failedSchedulingMessage(c, 'nowhere'),
    "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..");
});

t.test('TaintToleration: NoSchedule taints keep out pods that do not tolerate them', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  await c.createNode('general');
  await c.startScheduler();
  for (let i = 0; i < 4; i++) await c.createPod(`plain-${i}`);
  for (let i = 0; i < 4; i++) t.equal((await c.waitForBound(`plain-${i}`)).spec?.nodeName, 'general');
  await c.createPod('tolerant', {
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': 'gpu' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    },
  });
  t.equal((await c.waitForBound('tolerant')).spec?.nodeName, 'gpu');
});

t.test('NodeResourcesFit: pods go where their requests fit, and Insufficient cpu is reported', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('small', { cpu: '1', memory: '1Gi' });
  await c.createNode('big', { cpu: '4', memory: '8Gi' });
  await c.startScheduler();
  await c.createPod('cpu-2', { cpu: '2' });
  t.equal((await c.waitForBound('cpu-2')).spec?.nodeName, 'big');
  await c.createPod('mem-2g', { memory: '2Gi', cpu: '10m' });
  t.equal((await c.waitForBound('mem-2g')).spec?.nodeName, 'big');
  await c.createPod('cpu-3', { cpu: '3' });
  t.equal(await failedSchedulingMessage(c, 'cpu-3'),
    '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..');
  const pod = await c.getPod('cpu-3');
  const cond = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  t.match(cond, { status: 'False', reason: 'Unschedulable', message: /^0\/2 nodes are available: 2 Insufficient cpu\./ });
});

t.test('NodePorts: a hostPort is used once per node', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('n1');
  await c.createNode('n2');
  await c.startScheduler();
  const withPort = { spec: { containers: [{ name: 'c', image: 'busybox:1.35', ports: [{ containerPort: 80, hostPort: 8080 }] }] } };
  await c.createPod('p1', withPort);
  await c.createPod('p2', withPort);
  await c.createPod('p3', withPort);
  const nodes = [(await c.waitForBound('p1')).spec?.nodeName, (await c.waitForBound('p2')).spec?.nodeName].sort();
  t.same(nodes, ['n1', 'n2']);
  t.equal(await failedSchedulingMessage(c, 'p3'),
    "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..");
});

t.test('InterPodAffinity: required anti-affinity puts one replica per node', async (t) => {
  const c = await startSchedulerCluster(t);
  for (const n of ['n1', 'n2', 'n3']) await c.createNode(n);
  await c.startScheduler();
  const spec = {
    labels: { app: 'web' },
    spec: {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    },
  };
  for (let i = 0; i < 4; i++) await c.createPod(`web-${i}`, spec);
  const bound = new Set<string>();
  for (let i = 0; i < 3; i++) bound.add((await c.waitForBound(`web-${i}`)).spec?.nodeName ?? '');
  t.same([...bound].sort(), ['n1', 'n2', 'n3']);
  t.equal(await failedSchedulingMessage(c, 'web-3'),
    "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..");
  // Freeing a node lets the fourth in.
  await c.client.resource('pods').delete('default', 'web-0');
  t.ok((await c.waitForBound('web-3')).spec?.nodeName);
});

t.test('PodTopologySpread: DoNotSchedule keeps zones within maxSkew', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('a1', { labels: { zone: 'a' } });
  await c.createNode('b1', { labels: { zone: 'b' } });
  await c.createNode('b2', { labels: { zone: 'b' } });
  await c.createNode('nolabel');
  await c.startScheduler();
  const spec = {
    labels: { app: 'spread' },
    spec: {
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }],
    },
  };
  const zoneOf: Record<string, string> = { a1: 'a', b1: 'b', b2: 'b' };
  const perZone: Record<string, number> = {};
  for (let i = 0; i < 6; i++) {
    await c.createPod(`s-${i}`, spec);
    const node = (await c.waitForBound(`s-${i}`)).spec?.nodeName ?? '';
    t.ok(node in zoneOf, `s-${i} went to a node with the zone label (${node})`);
    perZone[zoneOf[node] ?? ''] = (perZone[zoneOf[node] ?? ''] ?? 0) + 1;
    t.ok(Math.abs((perZone['a'] ?? 0) - (perZone['b'] ?? 0)) <= 1, `skew within 1 after s-${i}: ${JSON.stringify(perZone)}`);
  }
  t.same(perZone, { a: 3, b: 3 });
});
