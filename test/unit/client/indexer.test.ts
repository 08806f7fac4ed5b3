import t from 'tap';
import { Indexer } from '../../../pkg/client/indexer.js';
import { IndexerLister } from '../../../pkg/client/lister.js';
import { parseSelector } from '../../../pkg/api/labels.js';
import type { Pod } from 'kubernetes-types/core/v1.js';

function pod(ns: string, name: string, node = '', labels: Record<string, string> = {}): Pod {
  return { metadata: { namespace: ns, name, labels, resourceVersion: '1' }, spec: { nodeName: node, containers: [] } };
}
const byNode = { nodeName: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []) };

t.test('objects are keyed by namespace/name and indexed by every index function', async (t) => {
  const idx = new Indexer<Pod>(byNode);
  idx.add(pod('a', 'p1', 'n1'));
  idx.add(pod('a', 'p2', 'n1'));
  idx.add(pod('b', 'p1', 'n2'));
  t.same(idx.listKeys().sort(), ['a/p1', 'a/p2', 'b/p1']);
  t.same(idx.byIndex('nodeName', 'n1').map((p) => p.metadata?.name).sort(), ['p1', 'p2']);
  t.same(idx.indexKeys('namespace', 'b'), ['b/p1']);
  t.same(idx.listIndexFuncValues('nodeName').sort(), ['n1', 'n2']);
});

t.test('update moves an object between index values; delete removes it from all', async (t) => {
  const idx = new Indexer<Pod>(byNode);
  idx.add(pod('a', 'p1', 'n1'));
  idx.update(pod('a', 'p1', 'n2'));
  t.same(idx.byIndex('nodeName', 'n1'), []);
  t.equal(idx.byIndex('nodeName', 'n2').length, 1);
  idx.delete(pod('a', 'p1'));
  t.same(idx.byIndex('nodeName', 'n2'), []);
  t.equal(idx.getByKey('a/p1'), undefined);
  t.same(idx.listIndexFuncValues('nodeName'), []);
});

t.test('replace swaps the whole content and records the resourceVersion', async (t) => {
  const idx = new Indexer<Pod>(byNode);
  idx.add(pod('a', 'old', 'n1'));
  idx.replace([pod('a', 'new', 'n3')], '42');
  t.same(idx.listKeys(), ['a/new']);
  t.same(idx.byIndex('nodeName', 'n1'), []);
  t.equal(idx.byIndex('nodeName', 'n3').length, 1);
  t.equal(idx.resourceVersion, '42');
});

t.test('an indexer added later indexes what is already stored; unknown index throws', async (t) => {
  const idx = new Indexer<Pod>();
  idx.add(pod('a', 'p1', 'n1'));
  idx.addIndexers(byNode);
  t.equal(idx.byIndex('nodeName', 'n1').length, 1);
  t.throws(() => idx.byIndex('nope', 'x'));
  t.throws(() => idx.addIndexers(byNode), /conflict/);
});

t.test('the lister gets, lists by label selector, by namespace and by index', async (t) => {
  const idx = new Indexer<Pod>(byNode);
  idx.add(pod('a', 'web-1', 'n1', { app: 'web' }));
  idx.add(pod('a', 'db-1', 'n1', { app: 'db' }));
  idx.add(pod('b', 'web-2', 'n2', { app: 'web' }));
  const lister = new IndexerLister(idx);
  t.equal(lister.get('a', 'web-1')?.metadata?.name, 'web-1');
  t.equal(lister.get('b', 'web-1'), undefined);
  t.same(lister.list(parseSelector('app=web')).map((p) => p.metadata?.name).sort(), ['web-1', 'web-2']);
  t.same(lister.listNamespaced('a').map((p) => p.metadata?.name).sort(), ['db-1', 'web-1']);
  t.same(lister.listNamespaced('a', parseSelector('app!=web')).map((p) => p.metadata?.name), ['db-1']);
  t.same(lister.byIndex('nodeName', 'n2').map((p) => p.metadata?.name), ['web-2']);
});

t.test('cluster-scoped objects are keyed by name alone', async (t) => {
  const idx = new Indexer<{ metadata: { name: string } }>();
  idx.add({ metadata: { name: 'node-1' } });
  t.ok(new IndexerLister(idx).get('', 'node-1'));
});
