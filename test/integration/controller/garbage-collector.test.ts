// The garbage collector against a real apiserver over real etcd: deployment → middle owner →
// pods chains built by hand (no workload controllers running), deleted with each propagation
// policy, and dependents whose owners never existed. The middle owner is a ConfigMap standing
// in for the ReplicaSet: the apiserver refuses to create a ReplicaSet without status.replicas
// (its create strategy clears status to {} and the schema requires replicas).
import t from 'tap';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { pino } from 'pino';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { isNotFound } from '../../../pkg/api/errors.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { newControllerContext } from '../../../pkg/controller/controller-context.js';
import { GarbageCollector } from '../../../pkg/controller/garbagecollector/garbage-collector.js';
import { until as untilTrue } from '../../harness/until.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => untilTrue(what, cond, ms);

const etcd = await testEtcd(t);
const api = await startInProcessApiServer(etcd, uniquePrefix('gc'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const ctx = newControllerContext({ client, informers, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }) });
const gc = new GarbageCollector(ctx);
const running = gc.run(ac.signal);
t.teardown(async () => { ac.abort(); await running; await informers.shutdown(); await client.destroy(); await api.close(); });

const NS = 'gc';
await client.resource('namespaces').create('', { metadata: { name: NS } });
const deployments = client.resource('deployments');
const middleOwners = client.resource('configmaps');
const pods = client.resource('pods');
const configMaps = client.resource('configmaps');

const ref = (obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }, block = true): OwnerReference => ({
  apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '',
  controller: true, ...(block ? { blockOwnerDeletion: true } : {}),
});
const labels = (app: string) => ({ app });
const template = (app: string) => ({ metadata: { labels: labels(app) }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });

async function chain(app: string, podCount = 2, podFinalizers: string[] = []): Promise<{ d: Deployment; rs: ConfigMap; pods: Pod[] }> {
  const d = await deployments.create(NS, { metadata: { name: app }, spec: { replicas: podCount, selector: { matchLabels: labels(app) }, template: template(app) } });
  const rs = await middleOwners.create(NS, {
    metadata: { name: `${app}-rs`, labels: labels(app), ownerReferences: [ref(d)] },
  });
  const created: Pod[] = [];
  for (let i = 0; i < podCount; i++) {
    created.push(await pods.create(NS, {
      metadata: { name: `${app}-${i}`, labels: labels(app), ownerReferences: [ref(rs)], ...(podFinalizers.length ? { finalizers: podFinalizers } : {}) },
      spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] },
    }));
  }
  return { d, rs, pods: created };
}

const exists = async (get: () => Promise<unknown>) => {
  try { await get(); return true; } catch (e) { if (isNotFound(e)) return false; throw e; }
};
const podsOf = async (app: string) => (await pods.list(NS, { labelSelector: `app=${app}` })).items;

t.test('background: deleting a deployment removes its middle owner and then the pods', async (t) => {
  await chain('bg');
  await deployments.delete(NS, 'bg', { propagationPolicy: 'Background' });
  await until('middle owner deleted', async () => !(await exists(() => middleOwners.get(NS, 'bg-rs'))));
  await until('pods deleted', async () => (await podsOf('bg')).length === 0);
  t.pass('the whole chain is gone');
});

t.test('foreground: the owner stays with foregroundDeletion until its blocking dependents are gone', async (t) => {
  await chain('fg', 2, ['example.com/hold']);
  await deployments.delete(NS, 'fg', { propagationPolicy: 'Foreground' });
  await until('pods marked for deletion', async () => (await podsOf('fg')).every((p) => p.metadata?.deletionTimestamp));
  const d = await deployments.get(NS, 'fg');
  t.ok(d.metadata?.deletionTimestamp, 'deployment is terminating');
  t.same(d.metadata?.finalizers, ['foregroundDeletion'], 'and waits for its dependents');
  const rs = await middleOwners.get(NS, 'fg-rs');
  t.ok(rs.metadata?.deletionTimestamp, 'the middle owner is being deleted in the foreground too');
  t.same(rs.metadata?.finalizers, ['foregroundDeletion']);

  for (const p of await podsOf('fg')) await pods.patch(NS, p.metadata!.name!, 'merge', { metadata: { finalizers: null } });
  await until('middle owner gone', async () => !(await exists(() => middleOwners.get(NS, 'fg-rs'))));
  await until('deployment gone', async () => !(await exists(() => deployments.get(NS, 'fg'))));
  t.same(await podsOf('fg'), []);
});

t.test('orphan: deleting the middle owner with Orphan keeps its pods and strips their owner reference', async (t) => {
  await chain('or');
  await middleOwners.delete(NS, 'or-rs', { propagationPolicy: 'Orphan' });
  await until('middle owner gone', async () => !(await exists(() => middleOwners.get(NS, 'or-rs'))));
  const left = await podsOf('or');
  t.equal(left.length, 2, 'pods survive');
  for (const p of left) t.same(p.metadata?.ownerReferences ?? [], [], `${p.metadata?.name} has no owner`);
  t.ok(await exists(() => deployments.get(NS, 'or')), 'the deployment was never touched');
});

t.test('dangling: a dependent whose owner never existed is deleted; one with a live co-owner only loses the reference', async (t) => {
  const live = await configMaps.create(NS, { metadata: { name: 'live-owner' } });
  const ghost = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never-existed', uid: '00000000-0000-0000-0000-000000000001' } };
  // Same name as a live object, other uid: that owner is gone too.
  const impostor = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live-owner', uid: '00000000-0000-0000-0000-000000000002' } };
  await configMaps.create(NS, { metadata: { name: 'orphaned', ownerReferences: [ref(ghost, false)] } });
  await configMaps.create(NS, { metadata: { name: 'uid-mismatch', ownerReferences: [ref(impostor, false)] } });
  await configMaps.create(NS, { metadata: { name: 'two-owners', ownerReferences: [ref(ghost, false), { ...ref({ ...live, apiVersion: 'v1', kind: 'ConfigMap' }, false), controller: false }] } });
  await until('dangling dependent deleted', async () => !(await exists(() => configMaps.get(NS, 'orphaned'))));
  await until('uid-mismatched dependent deleted', async () => !(await exists(() => configMaps.get(NS, 'uid-mismatch'))));
  let kept: ConfigMap | undefined;
  await until('gone reference removed', async () => {
    kept = await configMaps.get(NS, 'two-owners');
    return (kept.metadata?.ownerReferences ?? []).length === 1;
  });
  t.equal(kept?.metadata?.ownerReferences?.[0]?.uid, live.metadata?.uid, 'the live owner stays');
  t.ok(await exists(() => configMaps.get(NS, 'live-owner')));
});
