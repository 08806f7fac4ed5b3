import t from 'tap';
import { SchedulerCache } from '../../../pkg/scheduler/cache.js';
import { makeNode, makePod } from './make-objects.js';

function setup() {
  let now = 0;
  const cache = new SchedulerCache({ clock: () => now, assumedPodTtlMs: 30_000 });
  cache.addNode(makeNode('n1', { images: [{ names: ['busybox:1.35'], sizeBytes: 5_000_000 }] }));
  cache.addNode(makeNode('n2', { images: [{ names: ['busybox:1.35', 'nginx:1'], sizeBytes: 5_000_000 }] }));
  return { cache, advance: (ms: number) => void (now += ms) };
}

const cpuOn = (cache: SchedulerCache, node: string) => cache.snapshot().find((n) => n.name === node)?.requested.milliCpu;

t.test('an assumed pod counts until forgotten', async (t) => {
  const { cache } = setup();
  const pod = makePod('p', { cpu: '500m', nodeName: 'n1' });
  cache.assumePod(pod);
  t.equal(cpuOn(cache, 'n1'), 500);
  t.equal(cache.isAssumedPod(pod), true);
  t.throws(() => cache.assumePod(pod), 'cannot be assumed twice');
  cache.forgetPod(pod);
  t.equal(cpuOn(cache, 'n1'), 0);
  t.equal(cache.isAssumedPod(pod), false);
});

t.test('an assumed pod expires after the TTL once binding finished, unless confirmed', async (t) => {
  const { cache, advance } = setup();
  const a = makePod('a', { cpu: '1', nodeName: 'n1' });
  const b = makePod('b', { cpu: '1', nodeName: 'n1' });
  cache.assumePod(a);
  cache.assumePod(b);
  advance(60_000);
  t.same(cache.cleanupAssumedPods(), [], 'no expiry before binding finished');
  cache.finishBinding(a);
  cache.finishBinding(b);
  cache.addPod(b);
  advance(30_000);
  t.same(cache.cleanupAssumedPods().map((p) => p.metadata?.name), ['a']);
  t.equal(cpuOn(cache, 'n1'), 1000, 'the confirmed pod stays');
});

t.test('confirmation on another node moves the pod', async (t) => {
  const { cache } = setup();
  cache.assumePod(makePod('p', { cpu: '1', nodeName: 'n1' }));
  cache.addPod(makePod('p', { cpu: '1', nodeName: 'n2' }));
  t.same([cpuOn(cache, 'n1'), cpuOn(cache, 'n2')], [0, 1000]);
  cache.removePod(makePod('p', { nodeName: 'n2' }));
  t.equal(cpuOn(cache, 'n2'), 0);
});

t.test('snapshots are copies and count image spread', async (t) => {
  const { cache } = setup();
  const snap = cache.snapshot();
  snap[0]!.addPod(makePod('x', { cpu: '1', nodeName: 'n1' }));
  t.equal(cpuOn(cache, 'n1'), 0);
  const n2 = cache.snapshot().find((n) => n.name === 'n2')!;
  t.same(n2.imageStates.get('busybox:1.35'), { sizeBytes: 5_000_000, numNodes: 2 });
  t.same(n2.imageStates.get('nginx:1'), { sizeBytes: 5_000_000, numNodes: 1 });
  cache.removeNode(makeNode('n2'));
  t.equal(cache.nodeCount(), 1);
});
