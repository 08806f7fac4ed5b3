// The replicaset and deployment controllers against a real apiserver over real etcd, pods
// marked Ready by a stand-in for kubelets: scaling, rolling update bounds, rollback, Recreate,
// pause.
import t from 'tap';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { isAlreadyExists, isConflict } from '../../../pkg/api/errors.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { newControllerContext } from '../../../pkg/controller/controller-context.js';
import { DeploymentController } from '../../../pkg/controller/deployment/deployment-controller.js';
import { ReplicaSetController } from '../../../pkg/controller/replicaset/replica-set-controller.js';
import { markPodsReady } from './mark-pods-ready.js';
import { until as untilTrue } from '../../harness/until.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => untilTrue(what, cond, ms);

const etcd = await testEtcd(t);
const api = await startInProcessApiServer(etcd, uniquePrefix('deploy'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const ctx = newControllerContext({ client, informers, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }) });
const controllers = [ReplicaSetController.fromContext(ctx), DeploymentController.fromContext(ctx)];
const deployments = client.resource('deployments');
const replicaSets = client.resource('replicasets');
const pods = client.resource('pods');
let nsCount = 0;

async function namespace(readyDelayMs = 0): Promise<string> {
  const ns = `d${++nsCount}`;
  await client.resource('namespaces').create('', { metadata: { name: ns } }).catch((e: unknown) => { if (!isAlreadyExists(e)) throw e; });
  markPodsReady(client, informers, ns, { delayMs: readyDelayMs });
  informers.start(ac.signal);
  await informers.waitForCacheSync(ac.signal);
  return ns;
}

const running = (async () => {
  informers.start(ac.signal);
  await informers.waitForCacheSync(ac.signal);
  await Promise.all(controllers.map((c) => c.run(ac.signal)));
})();
t.teardown(async () => { ac.abort(); await running; await informers.shutdown(); await client.destroy(); await api.close(); });

function deployment(name: string, replicas: number, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      ...extra,
    },
  };
}

async function complete(ns: string, name: string): Promise<Deployment> {
  let d: Deployment | undefined;
  await until(`${name} to complete`, async () => {
    d = await deployments.get(ns, name);
    const s = d.status, want = d.spec?.replicas ?? 1;
    return (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s?.updatedReplicas === want
      && s.replicas === want && s.availableReplicas === want && (s.unavailableReplicas ?? 0) === 0;
  });
  return d as Deployment;
}

/** The apiserver answers a concurrent PATCH with 409 instead of retrying it as upstream does: retry here. */
async function patchDeployment(ns: string, name: string, type: 'merge' | 'strategic', body: object, subresource?: string): Promise<void> {
  for (let i = 0; ; i++) {
    try { await deployments.patch(ns, name, type, body, subresource ? { subresource } : {}); return; } catch (e) {
      if (!isConflict(e) || i > 20) throw e;
    }
  }
}

const livePods = async (ns: string, app: string) => (await pods.list(ns, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const ownedRSes = async (ns: string, app: string) => (await replicaSets.list(ns, { labelSelector: `app=${app}` })).items;

t.test('a deployment creates its ReplicaSet and pods, reports status, and scales up and down', async (t) => {
  const ns = await namespace();
  await deployments.create(ns, deployment('web', 3));
  const d = await complete(ns, 'web');
  const [rs, ...more] = await ownedRSes(ns, 'web');
  t.equal(more.length, 0);
  const hash = rs?.metadata?.labels?.['pod-template-hash'] ?? '';
  t.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  t.equal(rs?.metadata?.name, `web-${hash}`);
  t.equal(rs?.spec?.selector.matchLabels?.['pod-template-hash'], hash);
  t.equal(rs?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  t.equal(rs?.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
  t.equal(rs?.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
  t.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  t.same(d.status?.conditions?.map((c) => [c.type, c.status, c.reason]).sort(), [
    ['Available', 'True', 'MinimumReplicasAvailable'], ['Progressing', 'True', 'NewReplicaSetAvailable']]);
  const ps = await livePods(ns, 'web');
  t.equal(ps.length, 3);
  for (const p of ps) {
    t.match(p.metadata?.name, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    t.same(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs?.metadata?.name, uid: rs?.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
  }
  await until('events', async () => {
    const events = (await client.resource('events').list(ns)).items;
    return events.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} to 3 from 0` && e.source?.component === 'deployment-controller')
      && events.filter((e) => e.reason === 'SuccessfulCreate' && /^Created pod: web-/.test(e.message ?? '')).length >= 1;
  });

  await patchDeployment(ns, 'web', 'merge', { spec: { replicas: 5 } }, 'scale');
  await complete(ns, 'web');
  t.equal((await livePods(ns, 'web')).length, 5);
  await patchDeployment(ns, 'web', 'merge', { spec: { replicas: 2 } }, 'scale');
  await complete(ns, 'web');
  await until('2 pods', async () => (await livePods(ns, 'web')).length === 2);
  t.equal((await ownedRSes(ns, 'web')).length, 1, 'scaling makes no new ReplicaSet');
});

t.test('a rolling update of 10 replicas with maxSurge 3 and maxUnavailable 2 stays within 13 pods and 8 available', async (t) => {
  const ns = await namespace(40);
  await deployments.create(ns, deployment('roll', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
  await complete(ns, 'roll');

  // Sample the live pods on every pod and ReplicaSet watch event.
  const seen = new Map<string, Pod>();
  let maxTotal = 0, minAvailable = Infinity, samples = 0;
  const sample = () => {
    const live = [...seen.values()].filter((p) => !p.metadata?.deletionTimestamp);
    maxTotal = Math.max(maxTotal, live.length);
    minAvailable = Math.min(minAvailable, live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
    samples++;
  };
  for (const p of await livePods(ns, 'roll')) seen.set(p.metadata?.uid ?? '', p);
  const watchAc = new AbortController();
  const list = await pods.list(ns);
  const rsList = await replicaSets.list(ns);
  const watchPods = (async () => {
    for await (const ev of pods.watch(ns, { resourceVersion: list.metadata.resourceVersion ?? '', signal: watchAc.signal })) {
      if (ev.type === 'DELETED') seen.delete(ev.object.metadata?.uid ?? '');
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') seen.set(ev.object.metadata?.uid ?? '', ev.object);
      sample();
    }
  })();
  const watchRS = (async () => {
    for await (const _ of replicaSets.watch(ns, { resourceVersion: rsList.metadata.resourceVersion ?? '', signal: watchAc.signal })) sample();
  })();

  await patchDeployment(ns, 'roll', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
  const d = await complete(ns, 'roll');
  await until('old pods gone', async () => (await livePods(ns, 'roll')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.26'));
  watchAc.abort();
  await Promise.all([watchPods, watchRS]);
  t.ok(samples > 20, `sampled ${samples} events`);
  t.ok(maxTotal <= 13, `never more than 13 pods (saw ${maxTotal})`);
  t.ok(minAvailable >= 8, `never fewer than 8 available (saw ${minAvailable})`);
  t.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  const rses = await ownedRSes(ns, 'roll');
  t.same(rses.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs.spec?.replicas]).sort(), [['1', 0], ['2', 10]]);
});

t.test('undo as kubectl does it (json-patch of the template) reuses the old ReplicaSet with the next revision', async (t) => {
  const ns = await namespace();
  await deployments.create(ns, deployment('undo', 2));
  await complete(ns, 'undo');
  await patchDeployment(ns, 'undo', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
  await complete(ns, 'undo');
  const rev1 = (await ownedRSes(ns, 'undo')).find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1') as ReplicaSet;
  const template = structuredClone(rev1.spec?.template);
  delete template?.metadata?.labels?.['pod-template-hash'];
  await deployments.patch(ns, 'undo', 'json', [{ op: 'replace', path: '/spec/template', value: template }]);
  const d = await complete(ns, 'undo');
  const rses = await ownedRSes(ns, 'undo');
  t.equal(rses.length, 2, 'no third ReplicaSet');
  const back = rses.find((rs) => rs.metadata?.uid === rev1.metadata?.uid);
  t.equal(back?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  t.equal(back?.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  t.equal(back?.spec?.replicas, 2);
  t.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  await until('pods back on 1.25', async () => (await livePods(ns, 'undo')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.25'));
});

t.test('Recreate never runs old and new pods at the same time', async (t) => {
  const ns = await namespace(20);
  await deployments.create(ns, deployment('rec', 4, { strategy: { type: 'Recreate' } }));
  await complete(ns, 'rec');
  const oldRS = (await ownedRSes(ns, 'rec'))[0]?.metadata?.uid;
  let overlap = false, samples = 0;
  const live = new Map<string, string>();
  const list = await pods.list(ns);
  for (const p of list.items) live.set(p.metadata?.uid ?? '', p.metadata?.ownerReferences?.[0]?.uid ?? '');
  const watchAc = new AbortController();
  const watching = (async () => {
    for await (const ev of pods.watch(ns, { resourceVersion: list.metadata.resourceVersion ?? '', signal: watchAc.signal })) {
      const uid = ev.object.metadata?.uid ?? '';
      if (ev.type === 'DELETED') live.delete(uid);
      else if (ev.type === 'ADDED') live.set(uid, ev.object.metadata?.ownerReferences?.[0]?.uid ?? '');
      const owners = new Set(live.values());
      if (owners.has(oldRS ?? '') && owners.size > 1) overlap = true;
      samples++;
    }
  })();
  await patchDeployment(ns, 'rec', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
  await complete(ns, 'rec');
  await until('4 new pods', async () => (await livePods(ns, 'rec')).filter((p) => p.spec?.containers[0]?.image === 'nginx:1.26').length === 4);
  watchAc.abort();
  await watching;
  t.ok(samples >= 8, `sampled ${samples} events`);
  t.notOk(overlap, 'old and new pods never coexist');
});

t.test('a paused deployment does not roll out a template change until resumed', async (t) => {
  const ns = await namespace();
  await deployments.create(ns, deployment('pause', 2));
  await complete(ns, 'pause');
  await patchDeployment(ns, 'pause', 'merge', { spec: { paused: true } });
  await patchDeployment(ns, 'pause', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
  await until('paused condition observed at the new generation', async () => {
    const d = await deployments.get(ns, 'pause');
    return d.status?.observedGeneration === d.metadata?.generation
      && d.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused' && c.status === 'Unknown') === true;
  });
  t.equal((await ownedRSes(ns, 'pause')).length, 1, 'no new ReplicaSet while paused');
  // Scaling still works while paused.
  await patchDeployment(ns, 'pause', 'merge', { spec: { replicas: 3 } }, 'scale');
  await until('3 pods while paused', async () => (await livePods(ns, 'pause')).length === 3);
  t.equal((await ownedRSes(ns, 'pause')).length, 1);
  await patchDeployment(ns, 'pause', 'merge', { spec: { paused: false } });
  await complete(ns, 'pause');
  await until('pods on 1.26', async () => (await livePods(ns, 'pause')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.26'));
  t.equal((await ownedRSes(ns, 'pause')).length, 2);
});
