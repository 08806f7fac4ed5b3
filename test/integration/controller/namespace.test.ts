// The namespace controller against a real apiserver over real etcd: a deleted namespace is
// emptied (configmaps, pods, deployments), reports upstream's conditions while content with a
// finalizer holds it, and is removed once finalized.
import t from 'tap';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { isNotFound } from '../../../pkg/api/errors.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { newControllerContext } from '../../../pkg/controller/controller-context.js';
import { NamespaceController } from '../../../pkg/controller/namespace/namespace-controller.js';
import { until as untilTrue } from '../../harness/until.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => untilTrue(what, cond, ms);

const etcd = await testEtcd(t);
const api = await startInProcessApiServer(etcd, uniquePrefix('ns'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const ctx = newControllerContext({ client, informers, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }) });
const controller = new NamespaceController(ctx);
const running = controller.run(ac.signal);
t.teardown(async () => { ac.abort(); await running; await informers.shutdown(); await client.destroy(); await api.close(); });

const namespaces = client.resource('namespaces');
const gone = async (name: string) => {
  try { await namespaces.get('', name); return false; } catch (e) { if (isNotFound(e)) return true; throw e; }
};
const app = (name: string) => ({
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
});

t.test('deleting a namespace deletes its configmaps, pods and deployments, then the namespace', async (t) => {
  await namespaces.create('', { metadata: { name: 'doomed' } });
  for (let i = 0; i < 3; i++) await client.resource('configmaps').create('doomed', { metadata: { name: `cm-${i}` }, data: { i: String(i) } });
  await client.resource('pods').create('doomed', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
  await client.resource('deployments').create('doomed', app('web'));

  const deleting = await namespaces.delete('', 'doomed') as Namespace;
  t.equal(deleting.status?.phase, 'Terminating');
  await until('namespace removed', () => gone('doomed'));
  t.pass('namespace is gone');
  // A namespace of the same name starts empty.
  await namespaces.create('', { metadata: { name: 'doomed' } });
  t.same((await client.resource('configmaps').list('doomed')).items, []);
  t.same((await client.resource('pods').list('doomed')).items, []);
  t.same((await client.resource('deployments').list('doomed')).items, []);
});

t.test('content held by a finalizer keeps the namespace Terminating with upstream conditions', async (t) => {
  await namespaces.create('', { metadata: { name: 'held' } });
  await client.resource('configmaps').create('held', { metadata: { name: 'keep', finalizers: ['example.com/hold'] } });
  await client.resource('configmaps').create('held', { metadata: { name: 'free' } });
  await namespaces.delete('', 'held');

  let ns: Namespace | undefined;
  await until('conditions reported', async () => {
    ns = await namespaces.get('', 'held');
    return (ns.status?.conditions ?? []).some((c) => c.type === 'NamespaceContentRemaining' && c.status === 'True');
  });
  const cond = (type: string) => ns?.status?.conditions?.find((c) => c.type === type);
  t.equal(ns?.status?.phase, 'Terminating');
  t.same(ns?.spec?.finalizers, ['kubernetes'], 'not finalized while content remains');
  t.match(cond('NamespaceContentRemaining'), { status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances' });
  t.match(cond('NamespaceFinalizersRemaining'), { status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' });
  t.match(cond('NamespaceDeletionDiscoveryFailure'), { status: 'False', reason: 'ResourcesDiscovered' });
  t.match(cond('NamespaceDeletionContentFailure'), { status: 'False', reason: 'ContentDeleted' });
  t.same((await client.resource('configmaps').list('held')).items.map((c) => c.metadata?.name), ['keep'], 'the rest was deleted');

  await client.resource('configmaps').patch('held', 'keep', 'merge', { metadata: { finalizers: null } });
  await until('namespace removed after its content', () => gone('held'), 40_000);
  t.pass('namespace is gone');
});
