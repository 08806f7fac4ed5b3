// CRUD over HTTP against a real etcd: create, get, list, update with optimistic concurrency,
// the three patch types, deletes (grace, preconditions, finalizers, propagation), dry run and
// the status, scale, binding and eviction subresources.
import t from 'tap';
import { configMap, deployment, inProcessServer, pod, type Obj } from './http.js';

const NS = '/api/v1/namespaces/default';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';

t.test('create fills system metadata, honours generateName and answers 201', async (t) => {
  const { api } = await inProcessServer(t);
  const r = await api.post(`${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cm-' }, data: { a: 'b' } });
  t.equal(r.status, 201);
  const m = r.body['metadata'];
  t.match(m.name, /^cm-[a-z0-9]{5}$/);
  t.match(m.uid, /^[0-9a-f-]{36}$/);
  t.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.match(m.resourceVersion, /^\d+$/);
  t.equal(m.namespace, 'default');
  t.equal(r.body['kind'], 'ConfigMap');
  t.equal(r.body['apiVersion'], 'v1');

  const d = await api.post(DEPLOY, deployment('web'));
  t.equal(d.status, 201);
  t.equal(d.body['metadata'].generation, 1, 'workloads start at generation 1');

  const again = await api.post(`${NS}/configmaps`, configMap(m.name));
  t.equal(again.status, 409);
  t.equal(again.body['reason'], 'AlreadyExists');
  t.equal(again.body['message'], `configmaps "${m.name}" already exists`);

  const got = await api.get(`${NS}/configmaps/${m.name}`);
  t.equal(got.status, 200);
  t.same(got.body, r.body, 'get returns what create returned');

  const list = await api.get(`${NS}/configmaps`);
  t.equal(list.body['kind'], 'ConfigMapList');
  t.match(list.body['metadata'].resourceVersion, /^\d+$/);
  t.same(list.body['items'].map((o: Obj) => o['metadata'].name), [m.name]);
  t.ok(Number(list.body['metadata'].resourceVersion) >= Number(m.resourceVersion));

  const wrongKind = await api.post(`${NS}/configmaps`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
  t.equal(wrongKind.status, 400);
  t.equal(wrongKind.body['message'], 'the kind in the data (Secret) does not match the expected kind (ConfigMap)');

  const missing = await api.get(`${DEPLOY}/nope`);
  t.equal(missing.status, 404);
  t.equal(missing.body['message'], 'deployments.apps "nope" not found');
});

t.test('a name of 253 characters (the DNS subdomain limit) works in every URL that carries it', async (t) => {
  const { api } = await inProcessServer(t);
  const name = `${'a'.repeat(62)}.`.repeat(4).slice(0, 252) + 'z';
  t.equal(name.length, 253);
  t.equal((await api.post(`${NS}/configmaps`, configMap(name))).status, 201);
  t.equal((await api.get(`${NS}/configmaps/${name}`)).body['metadata']?.name, name);
  t.equal((await api.patch(`${NS}/configmaps/${name}`, 'merge', { data: { k: 'v' } })).body['data']?.k, 'v');
  t.equal((await api.delete(`${NS}/configmaps/${name}`)).status, 200);
  const tooLong = await api.post(`${NS}/configmaps`, configMap(`${name}x`));
  t.equal(tooLong.status, 422, 'one character more is invalid, not a routing error');
});

t.test('update with a stale resourceVersion is a 409 Conflict in Kubernetes words', async (t) => {
  const { api } = await inProcessServer(t);
  const cm = await api.create(`${NS}/configmaps`, configMap('c'));
  const first = await api.put(`${NS}/configmaps/c`, { ...cm, data: { a: '2' } });
  t.equal(first.status, 200);
  t.ok(Number(first.body['metadata'].resourceVersion) > Number(cm['metadata'].resourceVersion));
  const stale = await api.put(`${NS}/configmaps/c`, { ...cm, data: { a: '3' } });
  t.equal(stale.status, 409);
  t.equal(stale.body['reason'], 'Conflict');
  t.equal(stale.body['message'], 'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again');
  t.same(stale.body['details'], { name: 'c', kind: 'configmaps', group: '' });
  t.equal((await api.get(`${NS}/configmaps/c`)).body['data'].a, '2', 'the stale write changed nothing');

  const d = await api.create(DEPLOY, deployment('web'));
  const spec = structuredClone(d); spec['spec'].template.spec.containers[0].image = 'busybox:1.36';
  const up = await api.put(`${DEPLOY}/web`, spec);
  t.equal(up.body['metadata'].generation, 2, 'a spec change bumps generation');
  const label = structuredClone(up.body); label['metadata'].labels = { x: 'y' };
  t.equal((await api.put(`${DEPLOY}/web`, label)).body['metadata'].generation, 2, 'a metadata change does not');
});

t.test('50 concurrent read-modify-write updates of one object lose no update', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/configmaps`, configMap('counter', undefined, { n: '0' }));
  let conflicts = 0;
  const bump = async () => {
    for (;;) {
      const cur = (await api.get(`${NS}/configmaps/counter`)).body;
      cur['data'].n = String(Number(cur['data'].n) + 1);
      const r = await api.put(`${NS}/configmaps/counter`, cur);
      if (r.status === 200) return;
      if (r.status !== 409) throw new Error(`unexpected ${r.status}: ${r.text}`);
      conflicts++;
    }
  };
  await Promise.all(Array.from({ length: 50 }, bump));
  t.equal((await api.get(`${NS}/configmaps/counter`)).body['data'].n, '50');
  t.ok(conflicts > 0, `concurrent writers did collide (${conflicts} conflicts)`);
});

t.test('patch: json-patch, merge-patch, strategic merge patch and an SMP resourceVersion precondition', async (t) => {
  const { api } = await inProcessServer(t);
  const cm = await api.create(`${NS}/configmaps`, configMap('p', { a: '1' }));
  const jp = await api.patch(`${NS}/configmaps/p`, 'json', [{ op: 'add', path: '/data/b', value: '2' }, { op: 'remove', path: '/data/a' }]);
  t.equal(jp.status, 200);
  t.same(jp.body['data'], { b: '2' });
  const failedTest = await api.patch(`${NS}/configmaps/p`, 'json', [{ op: 'test', path: '/data/b', value: 'nope' }]);
  t.not(failedTest.status, 200, 'a failing json-patch test op is refused');
  t.equal(failedTest.body['kind'], 'Status');

  const mp = await api.patch(`${NS}/configmaps/p`, 'merge', { metadata: { labels: { a: null, c: '3' } }, data: { b: null, d: '4' } });
  t.same(mp.body['metadata'].labels, { c: '3' });
  t.same(mp.body['data'], { d: '4' });

  const p = await api.create(`${NS}/pods`, pod('web', { spec: { containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] } }));
  const smp = await api.patch(`${NS}/pods/web`, 'strategic', { spec: { containers: [{ name: 'b', image: 'busybox:1.36' }] } });
  t.equal(smp.status, 200, smp.text);
  t.same(smp.body['spec'].containers.map((c: Obj) => `${c['name']}=${c['image']}`), ['a=busybox:1.35', 'b=busybox:1.36'], 'containers merged by name');

  const stale = await api.patch(`${NS}/pods/web`, 'strategic', { metadata: { resourceVersion: p['metadata'].resourceVersion, labels: { x: 'y' } } });
  t.equal(stale.status, 409, 'a resourceVersion inside an SMP body is a precondition');
  t.equal(stale.body['reason'], 'Conflict');
  const fresh = await api.patch(`${NS}/pods/web`, 'strategic', { metadata: { resourceVersion: smp.body['metadata'].resourceVersion, labels: { x: 'y' } } });
  t.equal(fresh.status, 200);
  t.same(fresh.body['metadata'].labels, { x: 'y' });
  t.ok(cm['metadata'].uid);

  const bad = await api.patch(`${NS}/configmaps/p`, 'merge', '{not json');
  t.equal(bad.status, 400);
  const missing = await api.patch(`${NS}/configmaps/none`, 'merge', { data: { a: 'b' } });
  t.equal(missing.status, 404);
});

t.test('deleting a bound pod sets deletionTimestamp; it stays until a delete with gracePeriodSeconds=0', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/pods`, pod('p', { spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 } }));
  const del = await api.delete(`${NS}/pods/p`);
  t.equal(del.status, 200);
  t.equal(del.body['kind'], 'Pod', 'the still-present pod is returned');
  t.ok(del.body['metadata'].deletionTimestamp);
  t.equal(del.body['metadata'].deletionGracePeriodSeconds, 30);
  const still = await api.get(`${NS}/pods/p`);
  t.equal(still.status, 200);
  t.ok(still.body['metadata'].deletionTimestamp);
  const gone = await api.delete(`${NS}/pods/p`, { gracePeriodSeconds: 0 });
  t.equal(gone.status, 200);
  t.equal((await api.get(`${NS}/pods/p`)).status, 404);

  await api.create(`${NS}/pods`, pod('unbound'));
  await api.delete(`${NS}/pods/unbound`);
  t.equal((await api.get(`${NS}/pods/unbound`)).status, 404, 'a pod on no node goes at once');
});

t.test('delete preconditions on uid and resourceVersion', async (t) => {
  const { api } = await inProcessServer(t);
  const cm = await api.create(`${NS}/configmaps`, configMap('c'));
  const uid = await api.delete(`${NS}/configmaps/c`, { preconditions: { uid: 'not-it' } });
  t.equal(uid.status, 409);
  t.match(uid.body['message'], /Precondition failed: UID in precondition: not-it, UID in object meta: /);
  const rv = await api.delete(`${NS}/configmaps/c`, { preconditions: { resourceVersion: '1' } });
  t.equal(rv.status, 409);
  t.equal((await api.get(`${NS}/configmaps/c`)).status, 200);
  const ok = await api.delete(`${NS}/configmaps/c`, { preconditions: { uid: cm['metadata'].uid, resourceVersion: cm['metadata'].resourceVersion } });
  t.equal(ok.status, 200);
  t.equal(ok.body['kind'], 'Status');
  t.equal(ok.body['status'], 'Success');
  t.equal(ok.body['details'].uid, cm['metadata'].uid);
  t.equal((await api.get(`${NS}/configmaps/c`)).status, 404);
});

t.test('finalizers keep a deleted object until an update removes the last one', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/configmaps`, { ...configMap('f'), metadata: { name: 'f', finalizers: ['example.com/a', 'example.com/b'] } });
  const del = await api.delete(`${NS}/configmaps/f`);
  t.equal(del.status, 200);
  t.ok(del.body['metadata'].deletionTimestamp);
  const cur = (await api.get(`${NS}/configmaps/f`)).body;
  t.ok(cur['metadata'].deletionTimestamp, 'still there, terminating');
  const add = await api.put(`${NS}/configmaps/f`, { ...cur, metadata: { ...cur['metadata'], finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } });
  t.equal(add.status, 422, 'no new finalizers on a terminating object');
  const one = await api.put(`${NS}/configmaps/f`, { ...cur, metadata: { ...cur['metadata'], finalizers: ['example.com/b'] } });
  t.equal(one.status, 200);
  t.equal((await api.get(`${NS}/configmaps/f`)).status, 200);
  const last = await api.patch(`${NS}/configmaps/f`, 'merge', { metadata: { finalizers: null } });
  t.equal(last.status, 200);
  t.equal((await api.get(`${NS}/configmaps/f`)).status, 404, 'gone once the last finalizer went');
});

t.test('propagationPolicy Foreground and Orphan are recorded as finalizers', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(DEPLOY, deployment('fg'));
  await api.create(DEPLOY, deployment('or'));
  await api.create(DEPLOY, deployment('bg'));
  const fg = await api.delete(`${DEPLOY}/fg`, { propagationPolicy: 'Foreground' });
  t.same(fg.body['metadata'].finalizers, ['foregroundDeletion']);
  t.ok(fg.body['metadata'].deletionTimestamp);
  const or = await api.delete(`${DEPLOY}/or?propagationPolicy=Orphan`);
  t.same(or.body['metadata'].finalizers, ['orphan']);
  const bg = await api.delete(`${DEPLOY}/bg`, { propagationPolicy: 'Background' });
  t.equal(bg.body['kind'], 'Status');
  t.equal((await api.get(`${DEPLOY}/bg`)).status, 404);
  const bad = await api.delete(`${DEPLOY}/fg`, { propagationPolicy: 'Sideways' });
  t.equal(bad.status, 422);
});

t.test('deletecollection deletes only what the label selector matches', async (t) => {
  const { api } = await inProcessServer(t);
  for (const [n, app] of [['a', 'x'], ['b', 'x'], ['c', 'y']] as const) await api.create(`${NS}/configmaps`, configMap(n, { app }));
  const r = await api.delete(`${NS}/configmaps?labelSelector=app%3Dx`);
  t.equal(r.status, 200);
  t.same((await api.get(`${NS}/configmaps`)).body['items'].map((o: Obj) => o['metadata'].name), ['c']);
});

t.test('dryRun=All persists nothing', async (t) => {
  const { api } = await inProcessServer(t);
  const created = await api.post(`${NS}/configmaps?dryRun=All`, configMap('dry'));
  t.equal(created.status, 201);
  t.equal(created.body['metadata'].name, 'dry');
  t.equal((await api.get(`${NS}/configmaps/dry`)).status, 404);
  const cm = await api.create(`${NS}/configmaps`, configMap('real'));
  const put = await api.put(`${NS}/configmaps/real?dryRun=All`, { ...cm, data: { a: 'dry' } });
  t.equal(put.body['data'].a, 'dry');
  const patch = await api.request('PATCH', `${NS}/configmaps/real?dryRun=All`, { body: { data: { a: 'dry2' } }, contentType: 'application/merge-patch+json' });
  t.equal(patch.body['data'].a, 'dry2');
  const del = await api.delete(`${NS}/configmaps/real?dryRun=All`);
  t.equal(del.status, 200);
  const after = await api.get(`${NS}/configmaps/real`);
  t.equal(after.body['data'].a, '1');
  t.equal(after.body['metadata'].resourceVersion, cm['metadata'].resourceVersion, 'not even written back unchanged');
  t.equal((await api.post(`${NS}/configmaps?dryRun=Some`, configMap('x'))).status, 400);
});

t.test('status subresource changes only status; the main resource never changes status', async (t) => {
  const { api } = await inProcessServer(t);
  const d = await api.create(DEPLOY, deployment('web', 2));
  t.notOk(d['status']?.replicas, 'create clears status');
  const withStatus = { ...d, spec: { ...d['spec'], replicas: 9 }, status: { replicas: 2, readyReplicas: 1 } };
  const put = await api.put(`${DEPLOY}/web/status`, withStatus);
  t.equal(put.status, 200, put.text);
  t.equal(put.body['status'].replicas, 2);
  t.equal(put.body['spec'].replicas, 2, 'PUT /status ignores spec');
  const patch = await api.patch(`${DEPLOY}/web/status`, 'merge', { spec: { replicas: 7 }, status: { readyReplicas: 2 } });
  t.equal(patch.status, 200);
  t.equal(patch.body['status'].readyReplicas, 2);
  t.equal(patch.body['spec'].replicas, 2, 'PATCH /status ignores spec');
  const main = await api.put(`${DEPLOY}/web`, { ...patch.body, status: { replicas: 99 } });
  t.equal(main.status, 200);
  t.equal(main.body['status'].replicas, 2, 'PUT on the resource keeps the old status');
  t.equal((await api.get(`${DEPLOY}/web/status`)).body['status'].readyReplicas, 2);
});

t.test('scale subresource: GET Scale, merge patch, and PUT without Content-Type', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(DEPLOY, deployment('web', 2));
  const scale = await api.get(`${DEPLOY}/web/scale`);
  t.equal(scale.status, 200);
  t.equal(scale.body['kind'], 'Scale');
  t.equal(scale.body['apiVersion'], 'autoscaling/v1');
  t.equal(scale.body['spec'].replicas, 2);
  t.equal(scale.body['status'].selector, 'app=web');
  const patched = await api.patch(`${DEPLOY}/web/scale`, 'merge', { spec: { replicas: 3 } });
  t.equal(patched.status, 200, patched.text);
  t.equal(patched.body['spec'].replicas, 3);
  const d = (await api.get(`${DEPLOY}/web`)).body;
  t.equal(d['spec'].replicas, 3);
  t.equal(d['metadata'].generation, 2);
  // kubectl scale --current-replicas=3 --replicas=4: GET scale, PUT it back, no Content-Type.
  const cur = (await api.get(`${DEPLOY}/web/scale`)).body;
  const put = await api.request('PUT', `${DEPLOY}/web/scale`, { body: { ...cur, spec: { replicas: 4 } }, contentType: null });
  t.equal(put.status, 200, put.text);
  t.equal(put.body['spec'].replicas, 4);
  const stale = await api.put(`${DEPLOY}/web/scale`, { ...cur, spec: { replicas: 5 } });
  t.equal(stale.status, 409, 'a stale Scale resourceVersion conflicts');
  t.equal((await api.get(`${DEPLOY}/web`)).body['spec'].replicas, 4);
  const neg = await api.patch(`${DEPLOY}/web/scale`, 'merge', { spec: { replicas: -1 } });
  t.equal(neg.status, 422);
});

t.test('pods/binding sets nodeName and PodScheduled; a second bind is a 409', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/pods`, pod('p'));
  const bind = await api.post(`${NS}/pods/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } });
  t.equal(bind.status, 201, bind.text);
  t.equal(bind.body['status'], 'Success');
  const p = (await api.get(`${NS}/pods/p`)).body;
  t.equal(p['spec'].nodeName, 'n1');
  t.match(p['status'].conditions, [{ type: 'PodScheduled', status: 'True' }]);
  const again = await api.post(`${NS}/pods/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'n2' } });
  t.equal(again.status, 409);
  t.equal(again.body['reason'], 'Conflict');
  t.equal((await api.get(`${NS}/pods/p`)).body['spec'].nodeName, 'n1');
});

t.test('pods/eviction answers 201 with a Success Status and deletes the pod', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create(`${NS}/pods`, pod('p'));
  const ev = await api.post(`${NS}/pods/p/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'default' }, deleteOptions: {} });
  t.equal(ev.status, 201, ev.text);
  t.equal(ev.body['kind'], 'Status');
  t.equal(ev.body['status'], 'Success');
  t.equal((await api.get(`${NS}/pods/p`)).status, 404);
  t.equal((await api.post(`${NS}/pods/none/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'none' } })).status, 404);
});
