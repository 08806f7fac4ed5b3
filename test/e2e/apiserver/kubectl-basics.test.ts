// The real kubectl against a kube-apiserver process with only etcd behind it: the everyday
// commands, asserted on what kubectl prints.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';

const KUBECTL = '/usr/bin/kubectl';

interface Run { code: number; stdout: string; stderr: string }

t.test('kubectl basics against the apiserver', { skip: existsSync(KUBECTL) ? false : 'kubectl is not installed' }, async (t) => {
  const etcd = await testEtcd(t);
  const server = await startApiServer(etcd, uniquePrefix('kubectl'));
  t.teardown(() => server.kill());
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-basics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['--server', server.url, '--cache-dir', join(dir, 'cache')];
  const env = { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig'), HOME: dir };

  const kubectl = (...args: string[]): Promise<Run> => new Promise((resolve) => {
    execFile(KUBECTL, [...base, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    t.equal(r.code, 0, `kubectl ${args.join(' ')}${r.code ? `: ${r.stderr}` : ''}`);
    return r.stdout;
  };
  const rows = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

  // get ns / create ns
  const ns = rows(await ok('get', 'ns'));
  t.same(ns[0], ['NAME', 'STATUS', 'AGE']);
  t.same(ns.slice(1).map((r) => `${r[0]} ${r[1]}`).sort(), ['default Active', 'kube-node-lease Active', 'kube-public Active', 'kube-system Active']);
  t.equal((await ok('create', 'ns', 'demo')).trim(), 'namespace/demo created');
  t.match(await ok('get', 'ns', 'demo'), /demo\s+Active\s+\d+s/);

  // apply: create, then a change (strategic merge patch), then unchanged
  const manifest = (image: string, env: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        env:
${env}
`;
  const file = join(dir, 'web.yaml');
  writeFileSync(file, manifest('busybox:1.35', '        - {name: A, value: "1"}\n        - {name: B, value: "2"}'));
  t.equal((await ok('apply', '-f', file)).trim(), 'deployment.apps/web created');
  writeFileSync(file, manifest('busybox:1.36', '        - {name: A, value: "1"}'));
  t.equal((await ok('apply', '-f', file)).trim(), 'deployment.apps/web configured');
  const applied = JSON.parse(await ok('get', 'deploy', 'web', '-n', 'demo', '-o', 'json')) as { metadata: { generation: number }; spec: { template: { spec: { containers: { image: string; env: { name: string }[] }[] } } } };
  t.equal(applied.spec.template.spec.containers[0]?.image, 'busybox:1.36');
  t.same(applied.spec.template.spec.containers[0]?.env.map((e) => e.name), ['A'], 'env B removed by the $patch: delete directive');
  t.equal(applied.metadata.generation, 2);
  t.equal((await ok('apply', '-f', file)).trim(), 'deployment.apps/web unchanged');

  // typed creates send protobuf bodies
  t.equal((await ok('create', 'configmap', 'cm', '--from-literal=a=b', '-n', 'demo')).trim(), 'configmap/cm created');
  t.equal((await ok('create', 'secret', 'generic', 's', '--from-literal=x=y', '-n', 'demo')).trim(), 'secret/s created');
  t.equal((await ok('create', 'deployment', 'd2', '--image=busybox:1.35', '-n', 'demo')).trim(), 'deployment.apps/d2 created');
  t.equal(await ok('get', 'cm', 'cm', '-n', 'demo', '-o', 'jsonpath={.data.a}'), 'b');
  t.equal(Buffer.from(await ok('get', 'secret', 's', '-n', 'demo', '-o', 'jsonpath={.data.x}'), 'base64').toString(), 'y');
  t.equal(await ok('get', 'deploy', 'd2', '-n', 'demo', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), 'busybox:1.35');

  // scale (merge patch on /scale; with --current-replicas a PUT without Content-Type)
  t.equal((await ok('scale', 'deploy', 'web', '-n', 'demo', '--replicas=3')).trim(), 'deployment.apps/web scaled');
  t.equal(await ok('get', 'deploy', 'web', '-n', 'demo', '-o', 'jsonpath={.spec.replicas}'), '3');
  t.equal((await ok('scale', 'deploy', 'web', '-n', 'demo', '--current-replicas=3', '--replicas=4')).trim(), 'deployment.apps/web scaled');
  t.equal(await ok('get', 'deploy', 'web', '-n', 'demo', '-o', 'jsonpath={.spec.replicas}'), '4');
  const wrong = await kubectl('scale', 'deploy', 'web', '-n', 'demo', '--current-replicas=1', '--replicas=5');
  t.not(wrong.code, 0, 'a wrong --current-replicas is refused');

  // label / annotate
  t.equal((await ok('label', 'cm', 'cm', 'env=prod', '-n', 'demo')).trim(), 'configmap/cm labeled');
  t.equal((await ok('annotate', 'cm', 'cm', 'owner=me', '-n', 'demo')).trim(), 'configmap/cm annotated');
  t.match(await ok('get', 'cm', 'cm', '-n', 'demo', '--show-labels'), /cm\s+1\s+\S+\s+env=prod/);
  t.equal(await ok('get', 'cm', '-n', 'demo', '-l', 'env=prod', '-o', 'name'), 'configmap/cm\n');
  t.equal(await ok('get', 'cm', 'cm', '-n', 'demo', '-o', 'jsonpath={.metadata.annotations.owner}'), 'me');

  // get pods -w in the background sees a pod created afterwards
  const watcher = spawn(KUBECTL, [...base, 'get', 'pods', '-n', 'demo', '-w'], { env });
  t.teardown(() => { watcher.kill(); });
  let watched = '';
  watcher.stdout.on('data', (b: Buffer) => { watched += b.toString(); });
  watcher.stderr.on('data', (b: Buffer) => { watched += b.toString(); });
  await until(() => watched.length > 0 || watcher.exitCode !== null, 'kubectl get pods -w to start', 20_000).catch(() => undefined);
  t.match((await ok('run', 'p1', '--image=busybox:1.35', '-n', 'demo')).trim(), /^pod\/p1 created$/);
  await until(() => /p1\s+0\/1\s+Pending/.test(watched), `the watch to show p1 (got: ${watched})`, 20_000);
  t.pass('get pods -w showed the new pod');
  watcher.kill();

  // -o wide / -o yaml
  const wide = rows(await ok('get', 'pods', '-n', 'demo', '-o', 'wide'));
  t.same(wide[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  t.same(wide[1]?.slice(0, 4), ['p1', '0/1', 'Pending', '0']);
  const yaml = await ok('get', 'pod', 'p1', '-n', 'demo', '-o', 'yaml');
  t.match(yaml, /^apiVersion: v1\nkind: Pod\n/);
  t.match(yaml, /\n  name: p1\n/);
  t.match(yaml, /\n  uid: [0-9a-f-]{36}\n/);

  // get all, -A
  const all = await ok('get', 'all', '-n', 'demo');
  t.match(all, /pod\/p1\s+0\/1\s+Pending/);
  t.match(all, /deployment\.apps\/web\s+0\/4\s+0\s+0/);
  t.match(all, /deployment\.apps\/d2\s/);
  const everywhere = rows(await ok('get', 'cm', '-A'));
  t.same(everywhere[0], ['NAMESPACE', 'NAME', 'DATA', 'AGE']);
  t.ok(everywhere.some((r) => r[0] === 'demo' && r[1] === 'cm'), 'namespaces shown with -A');

  // delete
  t.equal((await ok('delete', 'pod', 'p1', '-n', 'demo')).trim(), 'pod "p1" deleted');
  t.equal((await ok('delete', 'deploy', 'd2', '-n', 'demo')).trim(), 'deployment.apps "d2" deleted');
  const gone = await kubectl('get', 'pod', 'p1', '-n', 'demo');
  t.not(gone.code, 0);
  t.match(gone.stderr, /Error from server \(NotFound\): pods "p1" not found/);

  // discovery and OpenAPI
  const resources = await ok('api-resources');
  t.match(resources, /\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
  t.match(resources, /\npods\s+po\s+v1\s+true\s+Pod\n/);
  t.match(resources, /\nnamespaces\s+ns\s+v1\s+false\s+Namespace\n/);
  const explain = await ok('explain', 'pod.spec.containers');
  t.match(explain, /KIND:\s+Pod/);
  t.match(explain, /FIELD:\s+containers <\[\]Container>/);
  t.match(explain, /\n  image\s+<string>/);

  // errors as kubectl prints them
  const missing = await kubectl('create', 'configmap', 'x', '-n', 'nowhere');
  t.match(missing.stderr, /failed to create configmap: namespaces "nowhere" not found/);
  const dup = await kubectl('create', 'ns', 'demo');
  t.match(dup.stderr, /Error from server \(AlreadyExists\): namespaces "demo" already exists/);

  // reviews and tokens: protobuf bodies, answered by the apiserver
  t.equal((await ok('auth', 'can-i', 'delete', 'nodes')).trim(), 'yes', 'the insecure port allows everything');
  t.match(await ok('auth', 'can-i', '--list', '-n', 'demo'), /\n\*\.\*\s+\[\]\s+\[\]\s+\[\*\]\n/);
  t.match(await ok('auth', 'whoami'), /Username\s+system:unsecured\n/);
  await ok('create', 'serviceaccount', 'robot', '-n', 'demo');
  const token = (await ok('create', 'token', 'robot', '-n', 'demo', '--duration=20m', '--audience=api')).trim();
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
  t.equal(claims['sub'], 'system:serviceaccount:demo:robot');
  t.same(claims['aud'], ['api']);
  t.equal(Number(claims['exp']) - Number(claims['iat']), 1200);
  await ok('run', 'p2', '-n', 'demo', '--image=busybox:1.35', '--overrides={"spec":{"serviceAccountName":"robot"}}');
  const podUid = (await ok('get', 'pod', 'p2', '-n', 'demo', '-o', 'jsonpath={.metadata.uid}')).trim();
  const bound = (await ok('create', 'token', 'robot', '-n', 'demo', '--bound-object-kind=Pod', '--bound-object-name=p2', `--bound-object-uid=${podUid}`)).trim();
  t.same((JSON.parse(Buffer.from(bound.split('.')[1] ?? '', 'base64url').toString()) as { 'kubernetes.io': { pod?: unknown } })['kubernetes.io'].pod,
    { name: 'p2', uid: podUid }, 'a token bound to a pod names it');
  const stale = await kubectl('create', 'token', 'robot', '-n', 'demo', '--bound-object-kind=Pod', '--bound-object-name=p2', '--bound-object-uid=0000');
  t.match(stale.stderr, /the UID in the bound object reference \(0000\) does not match the UID in record/, 'the uid kubectl sends in protobuf is read');
  const noAccount = await kubectl('create', 'token', 'nobody', '-n', 'demo');
  t.match(noAccount.stderr, /serviceaccounts "nobody" not found/);
});

async function until(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
