// What clients read before they do anything: discovery (legacy and aggregated), /version,
// OpenAPI v3, health, metrics and server-side Tables; and a clean SIGTERM.
import t from 'tap';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';
import { Api, deployment, inProcessServer, pod, type Obj } from './http.js';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

t.test('legacy and aggregated discovery, /version', async (t) => {
  const { api } = await inProcessServer(t);
  const version = await api.get('/version');
  t.match(version.body, { major: '1', minor: '32' });
  t.match(version.body['gitVersion'], /^v1\.32\./);

  const legacyApi = await api.get('/api');
  t.equal(legacyApi.body['kind'], 'APIVersions');
  t.same(legacyApi.body['versions'], ['v1']);
  const legacyApis = await api.get('/apis');
  t.equal(legacyApis.body['kind'], 'APIGroupList');
  const groups = (legacyApis.body['groups'] as Obj[]).map((g) => g['name']);
  for (const g of ['apps', 'batch', 'policy', 'coordination.k8s.io']) t.ok(groups.includes(g), g);
  t.notOk(groups.includes(''), 'the core group is only under /api');
  const apps = (legacyApis.body['groups'] as Obj[]).find((g) => g['name'] === 'apps');
  t.same(apps?.['preferredVersion'], { groupVersion: 'apps/v1', version: 'v1' });

  const v1 = await api.get('/api/v1');
  t.equal(v1.body['kind'], 'APIResourceList');
  const res = (name: string, list: Obj) => (list['resources'] as Obj[]).find((r) => r['name'] === name);
  t.match(res('pods', v1.body), { namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
  t.match(res('pods/eviction', v1.body), { group: 'policy', version: 'v1', kind: 'Eviction' });
  t.match(res('pods/binding', v1.body), { kind: 'Binding' });
  t.match(res('namespaces', v1.body), { namespaced: false });
  t.ok(res('pods/status', v1.body));
  const appsV1 = await api.get('/apis/apps/v1');
  t.match(res('deployments/scale', appsV1.body), { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  t.match(res('deployments', appsV1.body), { shortNames: ['deploy'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] });
  t.equal((await api.get('/apis/apps')).body['kind'], 'APIGroup');
  t.equal((await api.get('/apis/nope/v1')).status, 404);

  const agg = await api.get('/api', { accept: AGGREGATED });
  t.equal(agg.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  t.equal(agg.body['kind'], 'APIGroupDiscoveryList');
  t.equal(agg.body['apiVersion'], 'apidiscovery.k8s.io/v2');
  t.same((agg.body['items'] as Obj[]).map((i) => i['metadata'].name), ['']);
  const core = (agg.body['items'] as Obj[])[0]!['versions'][0];
  t.equal(core.version, 'v1');
  t.equal(core.freshness, 'Current');
  const pods = (core.resources as Obj[]).find((r) => r['resource'] === 'pods')!;
  t.match(pods, { singularResource: 'pod', scope: 'Namespaced', responseKind: { group: '', version: 'v1', kind: 'Pod' } });
  t.match((pods['subresources'] as Obj[]).find((s) => s['subresource'] === 'eviction'), { responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' } });
  const aggApis = await api.get('/apis', { accept: AGGREGATED });
  const appsAgg = (aggApis.body['items'] as Obj[]).find((i) => i['metadata'].name === 'apps')!;
  const deploy = (appsAgg['versions'][0].resources as Obj[]).find((r) => r['resource'] === 'deployments')!;
  t.match((deploy['subresources'] as Obj[]).find((s) => s['subresource'] === 'scale'), { responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } });
  t.notOk((aggApis.body['items'] as Obj[]).some((i) => i['metadata'].name === ''), 'no core group under /apis');
});

t.test('OpenAPI v3 index and a group document with the GVK and fieldValidation on PATCH', async (t) => {
  const { api } = await inProcessServer(t);
  const index = await api.get('/openapi/v3');
  t.equal(index.status, 200);
  const url = index.body['paths']['apis/apps/v1']?.serverRelativeURL as string;
  t.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
  t.ok(index.body['paths']['api/v1']);
  const doc = await api.get(url);
  t.equal(doc.status, 200);
  t.match(doc.body['openapi'], /^3\./);
  const patch = doc.body['paths']['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch as Obj;
  t.same(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  const params = [...(patch['parameters'] ?? []), ...(doc.body['paths']['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].parameters ?? [])] as Obj[];
  t.ok(params.some((p) => p['name'] === 'fieldValidation' || String(p['$ref'] ?? '').includes('fieldValidation')), 'fieldValidation parameter');
  t.equal((await api.get('/openapi/v3/apis/nope/v1')).status, 404);
});

t.test('health endpoints and request metrics by verb, resource and code', async (t) => {
  const { api } = await inProcessServer(t);
  for (const p of ['/healthz', '/livez', '/readyz']) {
    const r = await api.get(p);
    t.equal(r.status, 200, p);
    t.equal(r.text, 'ok');
  }
  await api.get('/api/v1/namespaces/default/pods');
  await api.get('/api/v1/namespaces/default/pods/nope');
  await api.create('/api/v1/namespaces/default/pods', pod('p'));
  await api.create('/api/v1/namespaces/default/pods', pod('q'));
  const m = await api.get('/metrics');
  t.match(m.headers.get('content-type'), /text\/plain/);
  t.match(m.text, /apiserver_request_total\{[^}]*verb="LIST"[^}]*resource="pods"[^}]*code="200"[^}]*\} 1\n/);
  t.match(m.text, /apiserver_request_total\{[^}]*verb="GET"[^}]*resource="pods"[^}]*code="404"[^}]*\} 1\n/);
  t.match(m.text, /apiserver_request_total\{[^}]*verb="POST"[^}]*resource="pods"[^}]*code="201"[^}]*\} 2\n/, 'the same labels again count on the same series');
  t.match(m.text, /apiserver_request_duration_seconds_count\{[^}]*verb="POST"[^}]*resource="pods"[^}]*\} 2\n/);
});

t.test('Tables for namespaces, pods, deployments and events carry partial object metadata and wide columns', async (t) => {
  const { api } = await inProcessServer(t);
  await api.create('/api/v1/namespaces/default/pods', pod('web', { metadata: { labels: { app: 'web' } }, spec: { nodeName: 'n1' } }));
  await api.create('/apis/apps/v1/namespaces/default/deployments', deployment('web', 2));
  await api.create('/api/v1/namespaces/default/events', {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Scheduled', message: 'Successfully assigned default/web to n1', type: 'Normal', count: 1,
  });
  const cols = (tbl: Obj, priority: number) => (tbl['columnDefinitions'] as Obj[]).filter((c) => c['priority'] === priority).map((c) => c['name']);
  const check = async (path: string, main: string[], wide: string[]) => {
    const r = await api.get(path, { accept: TABLE });
    t.equal(r.status, 200, path);
    t.match(r.headers.get('content-type'), /as=Table/);
    t.equal(r.body['kind'], 'Table');
    t.equal(r.body['apiVersion'], 'meta.k8s.io/v1');
    t.same(cols(r.body, 0), main, `${path} columns`);
    t.same(cols(r.body, 1), wide, `${path} wide columns`);
    const row = (r.body['rows'] as Obj[])[0]!;
    t.equal(row['cells'].length, main.length + wide.length);
    t.match(row['object'], { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: String } });
    t.notOk(row['object'].spec, 'metadata only');
    return r.body;
  };
  await check('/api/v1/namespaces', ['Name', 'Status', 'Age'], []);
  const pods = await check('/api/v1/namespaces/default/pods', ['Name', 'Ready', 'Status', 'Restarts', 'Age'], ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  t.same((pods['rows'] as Obj[])[0]!['cells'].slice(0, 4), ['web', '0/1', 'Pending', '0']);
  t.same((pods['rows'] as Obj[])[0]!['object'].metadata.labels, { app: 'web' }, 'labels for --show-labels');
  t.equal((pods['rows'] as Obj[])[0]!['object'].metadata.namespace, 'default', 'namespace for -A');
  await check('/apis/apps/v1/namespaces/default/deployments', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'], ['Containers', 'Images', 'Selector']);
  await check('/api/v1/namespaces/default/events', ['Last Seen', 'Type', 'Reason', 'Object', 'Message'], ['Subobject', 'Source', 'First Seen', 'Count', 'Name']);
  const one = await api.get('/api/v1/namespaces/default/pods/web', { accept: TABLE });
  t.equal(one.body['kind'], 'Table', 'a single object as a Table');
  const full = await api.get('/api/v1/namespaces/default/pods?includeObject=Object', { accept: TABLE });
  t.equal((full.body['rows'] as Obj[])[0]!['object'].kind, 'Pod');
});

t.test('query booleans parse like Go: True, 1, t', async (t) => {
  const { api } = await inProcessServer(t);
  for (const v of ['True', '1', 't', 'TRUE']) {
    const w = api.watch(`/api/v1/namespaces?watch=${v}&timeoutSeconds=1`);
    const ev = await w.next();
    t.equal(ev?.type, 'ADDED', `watch=${v}`);
    w.close();
  }
  const no = await api.get('/api/v1/namespaces?watch=False');
  t.equal(no.body['kind'], 'NamespaceList');
  t.equal((await api.get('/api/v1/namespaces?watch=yes')).status, 400);
});

t.test('SIGTERM stops accepting, ends open watches cleanly and exits 0', async (t) => {
  const etcd = await testEtcd(t);
  const proc = await startApiServer(etcd, uniquePrefix('sigterm'));
  t.teardown(() => proc.kill());
  const api = new Api(proc.url);
  const w = api.watch('/api/v1/namespaces/default/configmaps?watch=true');
  t.equal(await w.status, 200);
  const exited = new Promise<[number | null, string | null]>((r) => proc.process.once('exit', (code, signal) => r([code, signal])));
  proc.process.kill('SIGTERM');
  t.equal(await w.next(10_000), undefined, 'the watch stream ends');
  t.notOk(w.error, `as a clean end of stream, not an error: ${String(w.error)}`);
  t.same(await exited, [0, null], 'exit code 0');
  await t.rejects(fetch(`${proc.url}/healthz`), 'no longer accepting');
});
