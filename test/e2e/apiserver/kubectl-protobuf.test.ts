// The real kubectl against a tiny discovery-only HTTP server: every typed create sends a
// protobuf body, and decodeProtobufObject must turn it into the object kubectl's own Go JSON
// printer shows for the same command with --dry-run=client -o json.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/free-port.js';
import { decodeProtobufObject } from '../../../pkg/apiserver/protobuf.js';
import { isStatusError } from '../../../pkg/api/errors.js';

interface Captured { method: string; url: string; contentType: string; body: Buffer }

const CRUD = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const DISCOVERY: Record<string, { name: string; kind: string; namespaced: boolean; group?: string; version?: string; verbs?: string[] }[]> = {
  'v1': [
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'nodes', kind: 'Node', namespaced: false },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
    { name: 'serviceaccounts/token', kind: 'TokenRequest', namespaced: true, group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
    { name: 'resourcequotas', kind: 'ResourceQuota', namespaced: true },
  ],
  'apps/v1': [{ name: 'deployments', kind: 'Deployment', namespaced: true }],
  'batch/v1': [{ name: 'jobs', kind: 'Job', namespaced: true }, { name: 'cronjobs', kind: 'CronJob', namespaced: true }],
  'rbac.authorization.k8s.io/v1': [
    { name: 'roles', kind: 'Role', namespaced: true }, { name: 'rolebindings', kind: 'RoleBinding', namespaced: true },
    { name: 'clusterroles', kind: 'ClusterRole', namespaced: false },
    { name: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  ],
  'policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  'scheduling.k8s.io/v1': [{ name: 'priorityclasses', kind: 'PriorityClass', namespaced: false }],
  'authorization.k8s.io/v1': [{ name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }],
};

function send(res: ServerResponse, code: number, obj: unknown): void {
  const text = JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function discovery(url: string): unknown {
  if (url === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' };
  if (url === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (url === '/apis') {
    const groups = Object.keys(DISCOVERY).filter((gv) => gv.includes('/')).map((gv) => {
      const [name, version] = gv.split('/') as [string, string];
      const v = { groupVersion: gv, version };
      return { name, versions: [v], preferredVersion: v };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const gv = url.startsWith('/api/') ? url.slice('/api/'.length) : url.startsWith('/apis/') ? url.slice('/apis/'.length) : undefined;
  const resources = gv === undefined ? undefined : DISCOVERY[gv];
  if (!resources) return undefined;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
    resources: resources.map((r) => ({
      name: r.name, singularName: r.name.includes('/') ? '' : r.kind.toLowerCase(), namespaced: r.namespaced,
      kind: r.kind, verbs: r.verbs ?? CRUD,
      ...(r.group !== undefined ? { group: r.group, version: r.version } : {}),
    })),
  };
}

/** The answer a real server gives to POSTs that are not stored objects. */
function responseFor(obj: Record<string, unknown>): Record<string, unknown> {
  if (obj.kind === 'TokenRequest') return { ...obj, status: { token: 'tok3n', expirationTimestamp: '2030-01-01T00:00:00Z' } };
  if (obj.kind === 'SelfSubjectAccessReview') return { ...obj, status: { allowed: true } };
  return obj;
}

const captured: Captured[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET') {
      const doc = discovery(url);
      if (doc === undefined) send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
      else send(res, 200, doc);
      return;
    }
    const body = Buffer.concat(chunks);
    captured.push({ method: req.method ?? '', url, contentType: req.headers['content-type'] ?? '', body });
    try {
      send(res, 201, responseFor(decodeProtobufObject(body)));
    } catch (e) {
      if (isStatusError(e)) send(res, e.code, e.status);
      else send(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: String(e), code: 500 });
    }
  });
});

const port = await freePort();
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const dir = mkdtempSync(join(tmpdir(), 'kubectl-protobuf-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
t.teardown(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--server', `http://127.0.0.1:${port}`, '--kubeconfig', kubeconfig,
      '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Go writes `null` for nil slices and maps without omitempty; the decoder leaves them out. */
function withoutNullCollections(value: unknown, path = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutNullCollections(v, path));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null && k !== 'creationTimestamp') continue;
      out[k] = withoutNullCollections(v, `${path}.${k}`);
    }
    return out;
  }
  return value;
}

async function createAndCompare(t: Test, args: string[], expectPath: RegExp): Promise<Record<string, unknown>> {
  // Flags must precede `--`, after which everything is the container's command.
  const dash = args.indexOf('--');
  const dryArgs = dash < 0 ? [...args, '--dry-run=client', '-o', 'json']
    : [...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)];
  const dry = await kubectl(dryArgs);
  t.equal(dry.code, 0, `dry run succeeds: ${dry.stderr}`);
  const expected = JSON.parse(dry.stdout) as Record<string, unknown>;
  const before = captured.length;
  const run = await kubectl(args);
  t.equal(run.code, 0, `kubectl ${args.join(' ')} succeeds: ${run.stderr}`);
  const posts = captured.slice(before);
  t.equal(posts.length, 1, 'one POST');
  const post = posts[0];
  if (!post) throw new Error('no POST captured');
  t.match(post.url, expectPath);
  t.equal(post.contentType, 'application/vnd.kubernetes.protobuf', 'kubectl sent protobuf');
  const decoded = decodeProtobufObject(post.body);
  t.same(decoded, withoutNullCollections(expected), 'decoded body equals the Go JSON of the same object');
  return decoded;
}

t.test('create configmap: data map round-trips', async (t) => {
  const obj = await createAndCompare(t, ['create', 'configmap', 'c1', '--from-literal=a=b', '--from-literal=empty='], /^\/api\/v1\/namespaces\/default\/configmaps$/);
  t.same(obj.data, { a: 'b', empty: '' });
  t.same(obj.metadata, { name: 'c1', creationTimestamp: null });
});

t.test('create secret generic: bytes become base64', async (t) => {
  const obj = await createAndCompare(t, ['create', 'secret', 'generic', 's1', '--from-literal=user=admin', '--type=Opaque'], /\/secrets$/);
  t.same(obj.data, { user: Buffer.from('admin').toString('base64') });
  t.equal(obj.type, 'Opaque');
});

t.test('create deployment --replicas=0 keeps the explicit zero', async (t) => {
  const obj = await createAndCompare(t, ['create', 'deployment', 'd0', '--image=busybox:1.35', '--replicas=0'], /^\/apis\/apps\/v1\/namespaces\/default\/deployments$/);
  t.equal((obj.spec as { replicas?: number }).replicas, 0);
});

t.test('create deployment with replicas and a command', async (t) => {
  const obj = await createAndCompare(t, ['create', 'deployment', 'web', '--image=busybox:1.35', '--replicas=3', '--port=8080', '--', 'sleep', '3600'], /\/deployments$/);
  const spec = obj.spec as { replicas: number; template: { spec: { containers: { image: string; command: string[]; ports: unknown[] }[] } } };
  t.equal(spec.replicas, 3);
  t.same(spec.template.spec.containers[0]?.command, ['sleep', '3600']);
  t.equal(spec.template.spec.containers[0]?.image, 'busybox:1.35');
  t.same(spec.template.spec.containers[0]?.ports, [{ containerPort: 8080 }]);
});

t.test('create namespace', async (t) => {
  await createAndCompare(t, ['create', 'namespace', 'ns1'], /^\/api\/v1\/namespaces$/);
});

t.test('create service clusterip: ports with int-or-string targetPort', async (t) => {
  const obj = await createAndCompare(t, ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080'], /\/services$/);
  t.same((obj.spec as { ports: unknown[] }).ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
});

t.test('create serviceaccount', async (t) => {
  await createAndCompare(t, ['create', 'serviceaccount', 'sa1'], /\/serviceaccounts$/);
});

t.test('create job from an image with a command', async (t) => {
  await createAndCompare(t, ['create', 'job', 'j1', '--image=busybox:1.35', '--', 'echo', 'hi'], /^\/apis\/batch\/v1\/namespaces\/default\/jobs$/);
});

t.test('create cronjob', async (t) => {
  await createAndCompare(t, ['create', 'cronjob', 'cj1', '--image=busybox:1.35', '--schedule=*/5 * * * *', '--', 'date'], /\/cronjobs$/);
});

t.test('create role and rolebinding', async (t) => {
  await createAndCompare(t, ['create', 'role', 'r1', '--verb=get,list', '--resource=pods'], /\/roles$/);
  await createAndCompare(t, ['create', 'rolebinding', 'rb1', '--role=r1', '--user=alice'], /\/rolebindings$/);
  await createAndCompare(t, ['create', 'clusterrole', 'cr1', '--verb=get', '--resource=nodes'], /\/clusterroles$/);
});

t.test('create quota: quantities stay strings', async (t) => {
  const obj = await createAndCompare(t, ['create', 'quota', 'q1', '--hard=cpu=1,memory=1Gi,pods=10'], /\/resourcequotas$/);
  t.same((obj.spec as { hard: unknown }).hard, { cpu: '1', memory: '1Gi', pods: '10' });
});

t.test('create priorityclass: value 0 is kept, globalDefault false is omitted', async (t) => {
  const obj = await createAndCompare(t, ['create', 'priorityclass', 'pc1', '--value=0', '--description=low'], /^\/apis\/scheduling.k8s.io\/v1\/priorityclasses$/);
  t.equal(obj.value, 0);
  t.notOk('globalDefault' in obj);
});

t.test('create poddisruptionbudget with an int-or-string minAvailable', async (t) => {
  const obj = await createAndCompare(t, ['create', 'poddisruptionbudget', 'pdb1', '--selector=app=web', '--min-available=50%'], /\/poddisruptionbudgets$/);
  t.equal((obj.spec as { minAvailable: unknown }).minAvailable, '50%');
});

t.test('create token sends a TokenRequest', async (t) => {
  const before = captured.length;
  const run = await kubectl(['create', 'token', 'sa1', '--duration=1h']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout.trim(), 'tok3n');
  const post = captured[before];
  t.match(post?.url, /\/serviceaccounts\/sa1\/token$/);
  const obj = decodeProtobufObject(post?.body ?? Buffer.alloc(0));
  t.equal(obj.kind, 'TokenRequest');
  t.equal(obj.apiVersion, 'authentication.k8s.io/v1');
  t.equal((obj.spec as { expirationSeconds?: number }).expirationSeconds, 3600);
});

t.test('auth can-i sends a SelfSubjectAccessReview', async (t) => {
  const before = captured.length;
  const run = await kubectl(['auth', 'can-i', 'list', 'pods']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout.trim(), 'yes');
  const post = captured.slice(before).find((c) => c.url.endsWith('/selfsubjectaccessreviews'));
  const obj = decodeProtobufObject(post?.body ?? Buffer.alloc(0));
  t.equal(obj.kind, 'SelfSubjectAccessReview');
  t.match(obj.spec, { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } });
});
