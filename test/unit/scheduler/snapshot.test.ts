import t from 'tap';
import { SchedulerCache } from '../../../pkg/scheduler/cache.js';
import { Snapshot } from '../../../pkg/scheduler/snapshot.js';
import { makeNode, makePod } from './make-objects.js';

function setup() {
  const cache = new SchedulerCache();
  cache.addNode(makeNode('n1', { images: [{ names: ['busybox:1.35'], sizeBytes: 5_000_000 }] }));
  cache.addNode(makeNode('n2', { images: [{ names: ['busybox:1.35'], sizeBytes: 5_000_000 }] }));
  cache.addNode(makeNode('n3'));
  const snapshot = new Snapshot();
  cache.updateSnapshot(snapshot);
  return { cache, snapshot };
}

const names = (s: Snapshot) => s.nodeInfoList.map((n) => n.name);
const cpu = (s: Snapshot, name: string) => s.byName.get(name)?.requested.milliCpu;

t.test('only the nodes that changed are copied again; the others are the same objects', async (t) => {
  const { cache, snapshot } = setup();
  t.same(names(snapshot), ['n1', 'n2', 'n3']);
  const [n1, n2, n3] = snapshot.nodeInfoList;
  cache.assumePod(makePod('p', { cpu: '500m', nodeName: 'n2' }));
  t.equal(cpu(snapshot, 'n2'), 0, 'the snapshot does not change until updated');
  cache.updateSnapshot(snapshot);
  t.equal(cpu(snapshot, 'n2'), 500);
  t.equal(snapshot.nodeInfoList[0], n1, 'n1 kept');
  t.equal(snapshot.nodeInfoList[2], n3, 'n3 kept');
  t.not(snapshot.nodeInfoList[1], n2, 'n2 copied again');
  t.equal(snapshot.nodeInfoList[1], snapshot.byName.get('n2'), 'the list holds the new copy');
  t.equal(n2!.requested.milliCpu, 0, 'the old copy a finished cycle saw is untouched');
  t.same(snapshot.byName.get('n2')!.imageStates.get('busybox:1.35'), { sizeBytes: 5_000_000, numNodes: 2 }, 'image spread kept on the copy');
  const before = snapshot.nodeInfoList[1];
  cache.updateSnapshot(snapshot);
  t.equal(snapshot.nodeInfoList[1], before, 'nothing changed: nothing copied');
});

t.test('added and removed nodes change the list, in the cache order, and recount image spread', async (t) => {
  const { cache, snapshot } = setup();
  cache.removeNode(makeNode('n1'));
  cache.addNode(makeNode('n4', { images: [{ names: ['busybox:1.35'], sizeBytes: 5_000_000 }] }));
  cache.updateSnapshot(snapshot);
  t.same(names(snapshot), ['n2', 'n3', 'n4']);
  t.same([...snapshot.byName.keys()].sort(), ['n2', 'n3', 'n4']);
  t.same(snapshot.byName.get('n4')!.imageStates.get('busybox:1.35'), { sizeBytes: 5_000_000, numNodes: 2 });
  cache.addNode(makeNode('n5', { images: [{ names: ['busybox:1.35'], sizeBytes: 5_000_000 }] }));
  cache.updateSnapshot(snapshot);
  t.same(snapshot.byName.get('n2')!.imageStates.get('busybox:1.35'), { sizeBytes: 5_000_000, numNodes: 3 }, 'unchanged nodes see the new count');
});

t.test('a node removed while pods remain leaves the list; its pods come back with it', async (t) => {
  const { cache, snapshot } = setup();
  cache.addPod(makePod('p', { cpu: '1', nodeName: 'n3' }));
  cache.removeNode(makeNode('n3'));
  cache.updateSnapshot(snapshot);
  t.same(names(snapshot), ['n1', 'n2']);
  cache.addNode(makeNode('n3'));
  cache.updateSnapshot(snapshot);
  t.same(names(snapshot), ['n1', 'n2', 'n3']);
  t.equal(cpu(snapshot, 'n3'), 1000);
});

t.test('a snapshot far behind (the change log trimmed) still catches up', async (t) => {
  const { cache, snapshot } = setup();
  const stale = new Snapshot();
  cache.updateSnapshot(stale);
  // Far more changes than the log keeps for three nodes.
  for (let i = 0; i < 3000; i++) {
    const pod = makePod(`p${i}`, { cpu: '1m', nodeName: `n${(i % 3) + 1}` });
    cache.addPod(pod);
    if (i % 2 === 1) cache.removePod(pod);
    cache.updateSnapshot(snapshot);
  }
  cache.updateSnapshot(stale);
  for (const name of ['n1', 'n2', 'n3']) t.equal(cpu(stale, name), cpu(snapshot, name), name);
  t.equal(cpu(stale, 'n1')! + cpu(stale, 'n2')! + cpu(stale, 'n3')!, 1500);
});

t.test('a pod moved by its confirmation changes both nodes', async (t) => {
  const { cache, snapshot } = setup();
  cache.assumePod(makePod('p', { cpu: '1', nodeName: 'n1' }));
  cache.updateSnapshot(snapshot);
  cache.addPod(makePod('p', { cpu: '1', nodeName: 'n2' }));
  cache.updateSnapshot(snapshot);
  t.same([cpu(snapshot, 'n1'), cpu(snapshot, 'n2')], [0, 1000]);
});
