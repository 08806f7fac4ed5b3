// Deployment controller: pure calculations as tables, and sync(key) against filled caches.
import t from 'tap';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import { DeploymentController } from '../../../../pkg/controller/deployment/deployment-controller.js';
import { maxSurge, maxUnavailable, newRSNewReplicas, setNewReplicaSetAnnotations } from '../../../../pkg/controller/deployment/deployment-util.js';
import { computeHash, safeEncodeString } from '../../../../pkg/controller/deployment/pod-template-hash.js';
import { RecordingClient, fakeInformer, recorder } from '../replicaset/recording-client.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

function deployment(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', image = 'nginx:1.26'): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: 2, resourceVersion: '5' },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } }, progressDeadlineSeconds: 600, revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
    status: { observedGeneration: 1, replicas, updatedReplicas: replicas, availableReplicas: replicas, readyReplicas: replicas },
  };
}

function oldRS(replicas: number): ReplicaSet {
  const d = deployment(replicas, 3, 2, 'nginx:1.25');
  return {
    metadata: {
      name: 'web-old', namespace: 'ns', uid: 'old-uid', generation: 1, creationTimestamp: '2024-12-01T00:00:00Z',
      labels: { app: 'web', 'pod-template-hash': 'old' },
      annotations: { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'old' } }, template: { ...d.spec?.template, metadata: { labels: { app: 'web', 'pod-template-hash': 'old' } } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

t.test('maxSurge rounds up and maxUnavailable rounds down', async (t) => {
  const table: [number, number | string, number | string, number, number][] = [
    [10, '25%', '25%', 3, 2],
    [10, 3, 2, 3, 2],
    [3, '25%', '25%', 1, 0],
    [1, 0, 0, 0, 1], // both zero would deadlock: unavailable becomes 1
    [4, '50%', '100%', 2, 4],
  ];
  for (const [replicas, s, u, wantSurge, wantUnavailable] of table) {
    const d = deployment(replicas, s, u);
    t.equal(maxSurge(d), wantSurge, `surge of ${String(s)} of ${replicas}`);
    t.equal(maxUnavailable(d), wantUnavailable, `unavailable of ${String(u)} of ${replicas}`);
  }
});

t.test('the new ReplicaSet grows only as far as the surge allows', async (t) => {
  const d = deployment(10, 3, 2);
  const newRS: ReplicaSet = { metadata: { name: 'n' }, spec: { replicas: 0, selector: {} } };
  t.equal(newRSNewReplicas(d, [oldRS(10), newRS], newRS), 3);
  t.equal(newRSNewReplicas(d, [oldRS(8), { ...newRS, spec: { replicas: 5, selector: {} } }], { ...newRS, spec: { replicas: 5, selector: {} } }), 5);
});

t.test('the pod-template-hash is stable, template-sensitive, collision-sensitive and uses the safe alphabet', async (t) => {
  const tpl = deployment(1).spec?.template;
  t.equal(computeHash(tpl), computeHash(structuredClone(tpl)));
  t.not(computeHash(tpl), computeHash(deployment(1, 1, 1, 'other').spec?.template));
  t.not(computeHash(tpl), computeHash(tpl, 1));
  t.match(computeHash(tpl), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  t.equal(safeEncodeString('0123'), '4567', 'bytes mod 27 into bcdfghjklmnpqrstvwxz2456789');
});

t.test('rolling back to an old ReplicaSet gives it the next revision and remembers the old one', async (t) => {
  const rs = oldRS(0);
  t.ok(setNewReplicaSetAnnotations(deployment(3), rs, 3, true));
  t.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  t.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
});

function setup(d: Deployment, rses: ReplicaSet[]) {
  const client = new RecordingClient();
  client.objects.set('deployments/ns/web', d as never);
  const rec = recorder();
  const c = new DeploymentController({
    deploymentInformer: fakeInformer([d]), rsInformer: fakeInformer(rses), podInformer: fakeInformer<Pod>([]),
    deployments: client.resource('deployments'), replicaSets: client.resource('replicasets'),
    recorder: rec, clock: new FakeClock(NOW), logger: pino({ level: 'silent' }), workers: 1,
  });
  return { client, rec, c };
}

t.test('a template change creates the new ReplicaSet at maxSurge with the next revision, and scales the old one to minAvailable', async (t) => {
  const { client, rec, c } = setup(deployment(10, 3, 2), [oldRS(10)]);
  await c.sync('ns/web');
  const create = client.writes('replicasets').find((x) => x.verb === 'create');
  const rs = create?.body as ReplicaSet;
  const hash = rs.metadata?.labels?.['pod-template-hash'] ?? '';
  t.equal(rs.metadata?.name, `web-${hash}`);
  t.equal(rs.spec?.replicas, 3);
  t.same(rs.spec?.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
  t.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
  t.same(rs.metadata?.annotations, { 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' });
  t.same(rs.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
  t.same(rec.events, [
    { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 3 from 0` },
    // 13 in all, 8 must stay available, the 3 new are not yet: 2 old ones may go in the same step.
    { type: 'Normal', reason: 'ScalingReplicaSet', message: 'Scaled down replica set web-old to 8 from 10' },
  ]);
  const statusWrite = client.calls.find((x) => x.subresource === 'status')?.body as Deployment;
  t.equal(statusWrite.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  t.match(statusWrite.status?.conditions, [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` }]);
  t.equal((client.writes('replicasets').find((x) => x.verb === 'update' && x.name === 'web-old')?.body as ReplicaSet).spec?.replicas, 8);
});

t.test('once the old ReplicaSet went down, the new one grows into the surge before anything else is scaled down', async (t) => {
  const d = deployment(10, 3, 2);
  const hash = computeHash(d.spec?.template);
  const newRS: ReplicaSet = {
    metadata: { name: `web-${hash}`, namespace: 'ns', uid: 'new-uid', creationTimestamp: '2025-01-01T00:00:00Z', labels: { app: 'web', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
    spec: { replicas: 3, minReadySeconds: 0, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template: { ...d.spec?.template, metadata: { labels: { app: 'web', 'pod-template-hash': hash } } } },
    status: { replicas: 3, readyReplicas: 0, availableReplicas: 0 },
  };
  const { client, rec, c } = setup(d, [oldRS(8), newRS]);
  await c.sync('ns/web');
  const writes = client.writes('replicasets');
  t.same(writes.map((w) => [w.verb, w.name, (w.body as ReplicaSet).spec?.replicas]), [['update', `web-${hash}`, 5]]);
  t.same(rec.events, [{ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 5 from 3` }]);
  const status = (client.calls.filter((x) => x.subresource === 'status').at(-1)?.body as Deployment).status;
  t.match(status, { observedGeneration: 2, replicas: 11, updatedReplicas: 3, availableReplicas: 8, unavailableReplicas: 5 });
  t.match(status?.conditions?.find((x) => x.type === 'Available'), { status: 'True', reason: 'MinimumReplicasAvailable' });
});
