// ReplicaSet controller sync(key) against filled caches and a recording client.
import t from 'tap';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import { ReplicaSetController, slowStartBatch } from '../../../../pkg/controller/replicaset/replica-set-controller.js';
import { comparePodsForDeletion, podsToDelete } from '../../../../pkg/controller/replicaset/active-pods-with-ranks.js';
import { enabledControllers } from '../../../../pkg/controller/controllers.js';
import { RecordingClient, fakeInformer, recorder } from './recording-client.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rs(replicas: number, extra: Partial<ReplicaSet['status']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid', generation: 1, resourceVersion: '1' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    status: { replicas: 0, ...extra },
  };
}

function pod(name: string, opts: { owned?: boolean; ready?: boolean; node?: string; phase?: string; restarts?: number; createdMsAgo?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name, namespace: 'ns', uid: `uid-${name}`, labels: opts.labels ?? { app: 'web' }, creationTimestamp: iso(opts.createdMsAgo ?? 60_000),
      ...(opts.owned === false ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }] }),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(30_000) }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: opts.ready !== false, restartCount: opts.restarts ?? 0 }],
    },
  };
}

function setup(set: ReplicaSet, pods: Pod[]) {
  const client = new RecordingClient();
  client.objects.set('replicasets/ns/web', set as never);
  const rec = recorder();
  const c = new ReplicaSetController({
    rsInformer: fakeInformer([set]), podInformer: fakeInformer(pods),
    replicaSets: client.resource('replicasets'), pods: client.resource('pods'),
    recorder: rec, clock: new FakeClock(NOW), logger: pino({ level: 'silent' }), workers: 1,
  });
  return { client, rec, c };
}

t.test('creates the missing pods in slow-start batches and does not create again before they are observed', async (t) => {
  const { client, rec, c } = setup(rs(3), []);
  await c.sync('ns/web');
  const creates = client.writes('pods');
  t.equal(creates.length, 3);
  const body = creates[0]?.body as Pod;
  t.equal(body.metadata?.generateName, 'web-');
  t.same(body.metadata?.labels, { app: 'web' });
  t.same(body.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  t.same(rec.events.map((e) => e.reason), ['SuccessfulCreate', 'SuccessfulCreate', 'SuccessfulCreate']);
  t.match(rec.events[0]?.message, /^Created pod: web-/);
  t.same(c.expectations.get('ns/web'), { add: 3, del: 0 });
  const status = client.calls.find((x) => x.subresource === 'status')?.body as ReplicaSet;
  t.same(status.status, { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });

  client.calls.length = 0;
  await c.sync('ns/web');
  t.equal(client.writes('pods').length, 0, 'expectations hold back a second burst');
});

t.test('slowStartBatch runs 1, 2, 4, ... and stops after the first failing batch', async (t) => {
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => { calls++; if (calls === 5) throw new Error('quota'); });
  t.equal(calls, 7, 'batches 1 + 2 + 4, the failing batch finishes');
  t.equal(r.successes, 6);
  t.match((r.error as Error).message, 'quota');
});

t.test('deletes the cheapest pods first and expects their deletion', async (t) => {
  const pods = [
    pod('ready-old', { node: 'n1', createdMsAgo: 3_600_000 }),
    pod('unassigned', {}),
    pod('notready', { node: 'n1', ready: false }),
    pod('ready-restarts', { node: 'n2', restarts: 5, createdMsAgo: 3_600_000 }),
  ];
  const { client, rec, c } = setup(rs(2, { replicas: 4 }), pods);
  await c.sync('ns/web');
  t.same(client.writes('pods').map((x) => [x.verb, x.name]), [['delete', 'unassigned'], ['delete', 'notready']]);
  t.same(rec.events.map((e) => e.message).sort(), ['Deleted pod: notready', 'Deleted pod: unassigned']);
  t.equal(c.expectations.get('ns/web')?.del, 2);
});

t.test('ranks pods for deletion as ActivePodsWithRanks does', async (t) => {
  const cases: [string, Pod, Pod][] = [
    ['unassigned before assigned', pod('a'), pod('b', { node: 'n' })],
    ['pending before running', pod('a', { node: 'n', phase: 'Pending' }), pod('b', { node: 'n' })],
    ['not ready before ready', pod('a', { node: 'n', ready: false }), pod('b', { node: 'n' })],
    ['more restarts first', pod('a', { node: 'n', restarts: 3 }), pod('b', { node: 'n', restarts: 1 })],
    ['newer first', pod('a', { node: 'n', createdMsAgo: 1_000 }), pod('b', { node: 'n', createdMsAgo: 3_600_000 })],
  ];
  for (const [name, first, second] of cases) {
    t.ok(comparePodsForDeletion({ pod: first, rank: 0 }, { pod: second, rank: 0 }, NOW) < 0, name);
    t.ok(comparePodsForDeletion({ pod: second, rank: 0 }, { pod: first, rank: 0 }, NOW) > 0, `${name} (reversed)`);
  }
  const doubled = podsToDelete([pod('alone', { node: 'n1' }), pod('doubled', { node: 'n2' })], [pod('x', { node: 'n2' }), pod('doubled', { node: 'n2' })], 1, NOW);
  t.same(doubled.map((p) => p.metadata?.name), ['doubled'], 'doubled-up pods go first');
});

t.test('adopts a matching orphan and releases an owned pod that stopped matching', async (t) => {
  const { client, c } = setup(rs(2, { replicas: 2 }), [pod('orphan', { owned: false }), pod('stray', { labels: { app: 'other' } }), pod('mine')]);
  await c.sync('ns/web');
  const patches = client.writes('pods').filter((x) => x.verb === 'patch:strategic');
  t.same(patches.map((p) => p.name).sort(), ['orphan', 'stray']);
  t.same(patches.find((p) => p.name === 'orphan')?.body, { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }], uid: 'uid-orphan' } });
  t.same(patches.find((p) => p.name === 'stray')?.body, { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'rs-uid' }], uid: 'uid-stray' } });
  t.equal(client.writes('pods').filter((x) => x.verb === 'create' || x.verb === 'delete').length, 0, 'orphan + mine = 2 replicas');
});

t.test('a missing ReplicaSet is done, and a failed create sets ReplicaFailure with FailedCreate', async (t) => {
  const { client, rec, c } = setup(rs(1), []);
  await c.sync('ns/gone');
  t.equal(client.calls.length, 0);
  client.create = async () => { throw new Error('pods "web-" is forbidden: exceeded quota'); };
  await t.rejects(c.sync('ns/web'));
  t.same(rec.events.map((e) => [e.type, e.reason, e.message]), [['Warning', 'FailedCreate', 'Error creating: pods "web-" is forbidden: exceeded quota']]);
  const status = (client.calls.find((x) => x.subresource === 'status')?.body as ReplicaSet).status;
  t.match(status?.conditions, [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-" is forbidden: exceeded quota' }]);
  t.same(c.expectations.get('ns/web'), { add: 0, del: 0 }, 'creates never made are not awaited');
});

t.test('--controllers: *, names and -names', async (t) => {
  const known = ['replicaset', 'deployment', 'garbagecollector'];
  t.same(enabledControllers(['*'], known), known);
  t.same(enabledControllers(['*', '-deployment'], known), ['replicaset', 'garbagecollector']);
  t.same(enabledControllers(['deployment'], known), ['deployment']);
  t.throws(() => enabledControllers(['nope'], known), /"nope" is not in the list of known controllers/);
});
