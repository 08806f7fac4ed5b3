import t from 'tap';
import { DependencyGraph } from '../../../../pkg/controller/garbagecollector/dependency-graph.js';

const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const ownerRef = (uid: string, name = uid, block = false) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, ...(block ? { blockOwnerDeletion: true } : {}) });
const graph = () => new DependencyGraph((_ref, ns) => ns);
const obj = (uid: string, extra: Record<string, unknown> = {}) => ({ metadata: { uid, name: uid, namespace: 'ns', ...extra } });

t.test('a dependent seen before its owner creates a virtual owner to verify', async (t) => {
  const g = graph();
  const changes = g.observe(obj('p1', { ownerReferences: [ownerRef('rs1')] }), POD);
  t.same(changes.attemptToDelete, ['rs1'], 'the unseen owner is checked against the API');
  t.equal(g.get('rs1')?.observed, false);
  t.same([...g.get('rs1')!.dependents], ['p1']);
  t.same(g.get('rs1')!.identity, { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'ns', name: 'rs1', uid: 'rs1' });
  g.observe(obj('rs1'), RS);
  t.equal(g.get('rs1')?.observed, true, 'the owner seen later becomes a real node');
});

t.test('removing an owner queues its dependents; removing a dependent queues a foreground-deleting owner', async (t) => {
  const g = graph();
  g.observe(obj('rs1'), RS);
  g.observe(obj('p1', { ownerReferences: [ownerRef('rs1', 'rs1', true)] }), POD);
  g.observe(obj('p2', { ownerReferences: [ownerRef('rs1', 'rs1', true)] }), POD);
  t.same(g.remove('rs1').attemptToDelete.sort(), ['p1', 'p2']);

  g.observe(obj('rs2', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }), RS);
  g.observe(obj('p3', { ownerReferences: [ownerRef('rs2')] }), POD);
  t.equal(g.get('rs2')?.deletingDependents, true);
  t.same(g.remove('p3').attemptToDelete, ['rs2'], 'the owner may now finish');
});

t.test('an owner starting foreground deletion queues itself and every dependent', async (t) => {
  const g = graph();
  g.observe(obj('rs1'), RS);
  g.observe(obj('p1', { ownerReferences: [ownerRef('rs1')] }), POD);
  const c = g.observe(obj('rs1', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }), RS);
  t.same(c.attemptToDelete.sort(), ['p1', 'rs1']);
  t.same(c.attemptToOrphan, []);
});

t.test('an owner with the orphan finalizer and a deletionTimestamp is queued for orphaning', async (t) => {
  const g = graph();
  t.same(g.observe(obj('rs1', { finalizers: ['orphan'] }), RS).attemptToOrphan, [], 'not while it is not being deleted');
  t.same(g.observe(obj('rs1', { finalizers: ['orphan'], deletionTimestamp: '2024-01-01T00:00:00Z' }), RS).attemptToOrphan, ['rs1']);
});

t.test('dropping an owner reference unlinks it and drops an unneeded virtual owner', async (t) => {
  const g = graph();
  g.observe(obj('p1', { ownerReferences: [ownerRef('gone', 'gone', true)] }), POD);
  t.ok(g.get('gone'));
  const c = g.observe(obj('p1', { ownerReferences: [] }), POD);
  t.same(c.attemptToDelete, ['gone'], 'a blocking reference going away is news for the owner');
  t.equal(g.get('gone'), undefined);
  t.same(g.get('p1')?.owners, []);
});

t.test('an owner of a kind that cannot own this object is never made up', async (t) => {
  const g = new DependencyGraph(() => undefined);
  t.same(g.observe(obj('p1', { ownerReferences: [ownerRef('x')] }), POD).attemptToDelete, []);
  t.equal(g.get('x'), undefined);
});
