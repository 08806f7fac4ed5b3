// Namespace lifecycle (system namespaces, Terminating, finalize) and errors: every failure is a
// Status with the right code and reason, garbage never yields a 500, and rejected writes
// change nothing.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { configMap, deployment, inProcessServer, pod, type Obj } from './http.js';

const NS = '/api/v1/namespaces';

t.test('default, kube-system, kube-public and kube-node-lease exist at start and the first three cannot be deleted', async (t) => {
  const { api } = await inProcessServer(t);
  const list = await api.get(NS);
  const names = (list.body['items'] as Obj[]).map((n) => n['metadata'].name);
  t.same(names.sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  for (const n of list.body['items'] as Obj[]) t.equal(n['status']?.phase, 'Active', `${n['metadata'].name} is Active`);
  for (const name of ['default', 'kube-system', 'kube-public']) {
    const r = await api.delete(`${NS}/${name}`);
    t.equal(r.status, 403, name);
    t.equal(r.body['reason'], 'Forbidden');
    t.equal(r.body['message'], `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    t.equal((await api.get(`${NS}/${name}`)).status, 200);
  }
});

t.test('creating into a missing namespace is a 404 naming the namespace', async (t) => {
  const { api } = await inProcessServer(t);
  const r = await api.post(`${NS}/nowhere/configmaps`, configMap('c'));
  t.equal(r.status, 404);
  t.equal(r.body['message'], 'namespaces "nowhere" not found');
  t.match(r.body['details'], { name: 'nowhere', kind: 'namespaces' });
});

t.test('a deleted namespace goes Terminating, refuses new content, and goes once finalized', async (t) => {
  const { api } = await inProcessServer(t);
  const ns = await api.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  t.same(ns['spec'], { finalizers: ['kubernetes'] });
  t.equal(ns['status'].phase, 'Active');
  await api.create(`${NS}/doomed/configmaps`, configMap('old'));

  const del = await api.delete(`${NS}/doomed`);
  t.equal(del.status, 200);
  const cur = (await api.get(`${NS}/doomed`)).body;
  t.equal(cur['status'].phase, 'Terminating');
  t.ok(cur['metadata'].deletionTimestamp);

  const refused = await api.post(`${NS}/doomed/configmaps`, configMap('new'));
  t.equal(refused.status, 403);
  t.equal(refused.body['reason'], 'Forbidden');
  t.equal(refused.body['message'], 'configmaps "new" is forbidden: unable to create new content in namespace doomed because it is being terminated');
  t.equal((await api.patch(`${NS}/doomed/configmaps/old`, 'merge', { data: { a: '2' } })).status, 200, 'existing content may still change');

  const fin = await api.put(`${NS}/doomed/finalize`, { ...cur, spec: { finalizers: [] } });
  t.equal(fin.status, 200, fin.text);
  t.equal((await api.get(`${NS}/doomed`)).status, 404, 'gone with its last finalizer');
});

t.test('errors are Status objects with the right code and reason', async (t) => {
  const { api } = await inProcessServer(t, { maxRequestBytes: 4096 });
  const cms = `${NS}/default/configmaps`;
  await api.create(cms, configMap('keep'));
  const cases: [string, Promise<{ status: number; body: Obj }>, number, string][] = [
    ['malformed JSON', api.post(cms, '{"kind":'), 400, 'BadRequest'],
    ['a JSON array', api.post(cms, '[]'), 400, 'BadRequest'],
    ['an unknown resource', api.get('/api/v1/namespaces/default/foos'), 404, 'NotFound'],
    ['an unknown group', api.get('/apis/nope.example.com/v1/things'), 404, 'NotFound'],
    ['an unknown object', api.get(`${cms}/nope`), 404, 'NotFound'],
    ['PUT on a collection', api.put(cms, configMap('x')), 405, 'MethodNotAllowed'],
    ['POST on an object', api.post(`${cms}/keep`, configMap('keep')), 405, 'MethodNotAllowed'],
    ['an existing name', api.post(cms, configMap('keep')), 409, 'AlreadyExists'],
    ['a body over --max-request-bytes', api.post(cms, configMap('big', undefined, { a: 'x'.repeat(5000) })), 413, 'RequestEntityTooLarge'],
    ['text/plain', api.request('POST', cms, { body: JSON.stringify(configMap('t')), contentType: 'text/plain' }), 415, 'UnsupportedMediaType'],
    ['a patch in an unknown type', api.request('PATCH', `${cms}/keep`, { body: '{}', contentType: 'application/xml' }), 415, 'UnsupportedMediaType'],
    ['an Accept it cannot produce', api.get(`${cms}/keep`, { accept: 'application/xml' }), 406, 'NotAcceptable'],
    ['a kind that is not the resource', api.post(cms, { ...pod('p'), metadata: { name: 'p' } }), 400, 'BadRequest'],
    ['a namespace that is not the URL’s', api.post(cms, { ...configMap('x'), metadata: { name: 'x', namespace: 'kube-system' } }), 400, 'BadRequest'],
    ['a bad watch timeout', api.get(`${cms}?watch=true&timeoutSeconds=soon`), 400, 'BadRequest'],
  ];
  for (const [what, reply, code, reason] of cases) {
    const r = await reply;
    t.equal(r.status, code, what);
    t.match(r.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason }, what);
  }
  t.equal((await api.get(`${cms}/keep`)).body['data'].a, '1');
});

t.test('an object under --max-request-bytes but over etcd\'s request limit is a 413, and is not stored', async (t) => {
  const { api } = await inProcessServer(t);
  const pods = `${NS}/default/pods`;
  // ~1.7 MB: below the apiserver's 3 MiB body limit, above etcd's 1.5 MiB default request limit.
  const big = pod('big', { spec: { containers: [{ name: 'c', image: 'busybox:1.35', args: ['x'.repeat(1700 * 1024)] }] } });
  const r = await api.post(pods, big);
  t.equal(r.status, 413);
  t.match(r.body, { kind: 'Status', status: 'Failure', code: 413, reason: 'RequestEntityTooLarge' });
  t.match(r.body['message'], /^Request entity too large: the object is \d+ bytes as stored, over etcd's request limit \(etcdserver: request is too large\)$/);
  t.equal((await api.get(`${pods}/big`)).status, 404);
  t.equal((await api.post(pods, pod('small'))).status, 201, 'the next write goes through');
});

t.test('422 Invalid names each bad field in details.causes', async (t) => {
  const { api } = await inProcessServer(t);
  const noContainers = await api.post(`${NS}/default/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } });
  t.equal(noContainers.status, 422);
  t.equal(noContainers.body['reason'], 'Invalid');
  t.match(noContainers.body['details'], { name: 'p', kind: 'Pod' });
  t.ok((noContainers.body['details'].causes as Obj[]).some((c) => c['field'] === 'spec.containers' && c['reason'] === 'FieldValueRequired'), JSON.stringify(noContainers.body['details'].causes));
  t.match(noContainers.body['message'], /^Pod "p" is invalid: /);

  const badName = await api.post(`${NS}/default/configmaps`, configMap('Bad_Name'));
  t.equal(badName.status, 422);
  t.match(badName.body['details'].causes, [{ field: 'metadata.name', reason: 'FieldValueInvalid' }]);
  t.match(badName.body['message'], /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);

  const d = deployment('web');
  d['spec'].selector = { matchLabels: { app: 'other' } };
  d['spec'].replicas = -1;
  const bad = await api.post('/apis/apps/v1/namespaces/default/deployments', d);
  t.equal(bad.status, 422);
  const fields = (bad.body['details'].causes as Obj[]).map((c) => c['field']);
  t.ok(fields.includes('spec.replicas'), fields.join(','));
  t.ok(fields.includes('spec.template.metadata.labels'), fields.join(','));
  t.match(bad.body['message'], /^Deployment.apps "web" is invalid: \[/);
  t.equal((await api.get('/apis/apps/v1/namespaces/default/deployments/web')).status, 404);
});

t.test('a field of the wrong JSON type is Go\'s decoding error (400) before defaults run, and a null one is never a 500', async (t) => {
  const { api } = await inProcessServer(t);
  const service = (spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }], ...spec } });
  const withContainer = (c: Obj): Obj => pod('p', { spec: { containers: [{ name: 'c', image: 'busybox:1.35', ...c }] } });
  const podsPath = `${NS}/default/pods`;
  const pods = 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal';
  const typed: [string, string, Obj, string][] = [
    ['an image that is a number', podsPath, withContainer({ image: 5 }), `${pods} number into Go struct field Container.spec.containers.image of type string`],
    ['a restartPolicy that is a number', podsPath, pod('p', { spec: { restartPolicy: 7 } }), `${pods} number into Go struct field PodSpec.spec.restartPolicy of type`],
    ['ports that are a string', podsPath, withContainer({ ports: 'x' }), `${pods} string into Go struct field Container.spec.containers.ports of type []v1.ContainerPort`],
    ['a probe that is a list', podsPath, withContainer({ readinessProbe: [1] }), `${pods} array into Go struct field Container.spec.containers.readinessProbe of type v1.Probe`],
    ['a label that is a number', podsPath, pod('p', { metadata: { labels: { app: 1 } } }), `${pods} number into Go struct field ObjectMeta.metadata.labels of type string`],
    ['a service port protocol that is a number', `${NS}/default/services`, service({ ports: [{ port: 80, protocol: 6 }] }),
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number into Go struct field ServicePort.spec.ports.protocol of type'],
    ['a strategy type that is a number', '/apis/apps/v1/namespaces/default/deployments', { ...deployment('d'), spec: { ...deployment('d')['spec'], strategy: { type: 3 } } },
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field DeploymentStrategy.spec.strategy.type of type'],
  ];
  for (const [name, path, body, message] of typed) {
    const res = await api.post(path, body);
    t.equal(res.status, 400, `${name}: ${JSON.stringify(res.body).slice(0, 300)}`);
    t.equal(res.body['reason'], 'BadRequest', name);
    t.ok(String(res.body['message']).startsWith(message), `${name}: ${String(res.body['message'])}`);
  }
  const nulls: [string, string, Obj][] = [
    ['a null image', podsPath, withContainer({ image: null })],
    ['a null restartPolicy', podsPath, pod('p', { spec: { restartPolicy: null } })],
    ['null ports', podsPath, withContainer({ ports: null })],
    ['a null service type', `${NS}/default/services`, service({ type: null })],
  ];
  for (const [name, path, body] of nulls) {
    const res = await api.post(path, body);
    t.ok(res.status < 500, `${name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    if (res.status === 201) await api.delete(`${path}/${(body['metadata'] as Obj)['name']}?gracePeriodSeconds=0`);
  }
});

t.test('a few hundred garbled requests never get a 500 and change nothing stored', async (t) => {
  const { api } = await inProcessServer(t, { maxRequestBytes: 64 * 1024 });
  const cm = await api.create(`${NS}/default/configmaps`, configMap('keep', { app: 'x' }));
  const p = await api.create(`${NS}/default/pods`, pod('keep'));
  let seed = 42;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const paths = ['/api/v1/namespaces/default/configmaps', '/api/v1/namespaces/default/configmaps/keep', '/api/v1/namespaces/default/pods/keep',
    '/api/v1/namespaces/default/pods/keep/status', '/api/v1/namespaces/default/pods/keep/binding', '/api/v1/namespaces/default/pods/keep/eviction',
    '/apis/apps/v1/namespaces/default/deployments/x/scale', '/api/v1/namespaces/%ZZ/configmaps', '/api/v1/namespaces/default/configmaps/%00',
    '/api/v1/nodes/a/b/c/d', '/apis/apps', '/apis//v1', '/api/v1/namespaces/default/configmaps/keep/status', '/api/v1/namespaces/keep/finalize',
    '/api/v1/pods', '/api/v1/namespaces/default/pods/keep/log', '/api/v1/namespaces/default/events', '/api/v1/namespaces/../../etc/passwd'];
  const queries = ['', '?watch=maybe', '?limit=-5', '?limit=abc', '?continue=%%%', '?labelSelector=a%20in%20(', '?fieldSelector=%3D%3D',
    '?resourceVersion=-1', '?resourceVersionMatch=Exact&resourceVersion=x', '?dryRun=All', '?gracePeriodSeconds=x', '?propagationPolicy=x',
    '?fieldValidation=Nope', '?includeObject=bad', '?timeoutSeconds=-1&watch=0', '?pretty=true&pretty=false', '?labelSelector=' + 'a'.repeat(300)];
  const contentTypes = ['application/json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json',
    'application/vnd.kubernetes.protobuf', 'application/yaml', 'text/plain', '', 'application/apply-patch+yaml'];
  const bodies = (): string | Buffer => pick<() => string | Buffer>([
    () => randomBytes(rand(200)),
    () => '{"metadata":' + '{"a":'.repeat(rand(50)),
    () => JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: pick(['keep', '', 'x'.repeat(300), 'ok']), resourceVersion: pick(['1', 'x', '']) }, data: pick([{ a: 1 }, null, [], 'str']) }),
    () => JSON.stringify([{ op: pick(['add', 'remove', 'replace', 'move', 'bogus']), path: pick(['/metadata/name', '/spec', '', '/data/-', '/metadata/uid']), value: rand(9) }]),
    () => JSON.stringify({ metadata: { name: 'keep', namespace: 'other', uid: 'u', finalizers: [1, 2] }, spec: { containers: pick([null, 7, [{}]]) } }),
    () => JSON.stringify(pick([null, 1, 'a', true, {}, { $patch: 'delete' }, { spec: { $retainKeys: 5 } }, { status: { phase: { x: 1 } } }])),
    () => Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), randomBytes(rand(100))]),
    () => 'a: [\n  b: {',
  ])();
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const method = pick(methods);
    const path = pick(paths) + pick(queries);
    const ct = pick(contentTypes);
    const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    const headers: Record<string, string> = { accept: pick(['application/json', '*/*', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/xml', '']) };
    if (ct && withBody) headers['content-type'] = ct;
    let status: number;
    try {
      const res = await fetch(api.url + path, { method, headers, ...(withBody ? { body: bodies() } : {}), signal: AbortSignal.timeout(5000) });
      status = res.status;
      const text = await res.text();
      if (status >= 400 && method !== 'HEAD' && method !== 'OPTIONS') {
        const s = JSON.parse(text) as Obj;
        if (s['kind'] !== 'Status' || s['code'] !== status) t.fail(`${method} ${path}: not a Status: ${text.slice(0, 200)}`);
      }
    } catch (e) {
      t.fail(`${method} ${path} (${ct}): ${String(e)}`);
      continue;
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status >= 500) t.fail(`${method} ${path} (${ct}) → ${status}`);
  }
  t.comment(`statuses: ${JSON.stringify([...statuses].sort())}`);
  t.equal((await api.get('/healthz')).status, 200, 'still up');
  const cmAfter = (await api.get(`${NS}/default/configmaps/keep`)).body;
  const podAfter = (await api.get(`${NS}/default/pods/keep`)).body;
  // Only dry runs, status writes and deletes could have touched them; compare what matters.
  if (cmAfter['metadata']) {
    t.equal(cmAfter['metadata'].uid, cm['metadata'].uid);
    t.same(cmAfter['metadata'].labels, cm['metadata'].labels);
  }
  if (podAfter['metadata']) t.same(podAfter['spec'].containers, p['spec'].containers, 'the pod spec is unchanged');
});

t.test('rejected writes change nothing stored', async (t) => {
  const { api } = await inProcessServer(t);
  const cms = `${NS}/default/configmaps`;
  const cm = await api.create(cms, configMap('keep'));
  const attempts = [
    api.put(`${cms}/keep`, { ...cm, metadata: { ...cm['metadata'], name: 'Bad_Name' } }),
    api.put(`${cms}/keep`, { ...cm, data: { a: 'stale' }, metadata: { ...cm['metadata'], resourceVersion: '1' } }),
    api.patch(`${cms}/keep`, 'json', [{ op: 'replace', path: '/metadata/name', value: 'other' }]),
    api.patch(`${cms}/keep`, 'json', [{ op: 'remove', path: '/nope/deeper' }]),
    api.patch(`${cms}/keep`, 'merge', { data: { a: 5 } }),
    api.request('PUT', `${cms}/keep`, { body: '{"data":', contentType: 'application/json' }),
    api.delete(`${cms}/keep`, { preconditions: { uid: 'other' } }),
  ];
  for (const r of await Promise.all(attempts)) t.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.body['reason']}`);
  const after = (await api.get(`${cms}/keep`)).body;
  t.same(after, cm, 'byte for byte the same object, same resourceVersion');
});
