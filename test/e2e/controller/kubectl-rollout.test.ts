// The real kubectl against the apiserver and kube-controller-manager processes: create,
// scale, set image, rollout status/history/undo/pause/resume/restart, and delete with each
// cascade mode. Pods are marked Ready by a stand-in for kubelets.
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { markPodsReady } from '../../integration/controller/mark-pods-ready.js';

const run = promisify(execFile);
const KCM_MAIN = fileURLToPath(new URL('../../../cmd/kube-controller-manager/main.js', import.meta.url));

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const etcd = await testEtcd(t);
const api = await startApiServer(etcd, uniquePrefix('kubectl-rollout'));
const cacheDir = await mkdtemp(join(tmpdir(), 'kubectl-cache-'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const kcm: ChildProcess = spawn(process.execPath, [KCM_MAIN, '--master', api.url, '--port', '0', '--leader-elect=false'],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'error' } });
t.teardown(async () => {
  kcm.kill('SIGKILL'); ac.abort(); await informers.shutdown(); await client.destroy(); await api.kill();
  await rm(cacheDir, { recursive: true, force: true });
});
markPodsReady(client, informers, 'default', { delayMs: 30 });
informers.start(ac.signal);
await informers.waitForCacheSync(ac.signal);

const kubectl = async (...args: string[]): Promise<string> => {
  const { stdout } = await run('kubectl', ['--server', api.url, '--cache-dir', cacheDir, ...args], { timeout: 90_000 });
  return stdout;
};
const rses = async (app: string) => (await client.resource('replicasets').list('default', { labelSelector: `app=${app}` })).items;
const livePods = async (app: string) => (await client.resource('pods').list('default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);

t.test('kubectl drives a deployment through scale, set image, history, undo, pause/resume and restart', async (t) => {
  t.match(await kubectl('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2'), /deployment.apps\/web created/);
  t.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'), /deployment "web" successfully rolled out/);
  t.match(await kubectl('scale', 'deployment', 'web', '--replicas=3'), /deployment.apps\/web scaled/);
  await until('3 pods', async () => (await livePods('web')).length === 3);
  await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:1.26');
  t.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
  const history = await kubectl('rollout', 'history', 'deployment/web');
  t.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

  t.match(await kubectl('rollout', 'undo', 'deployment/web'), /deployment.apps\/web rolled back/);
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
  t.match(await kubectl('rollout', 'history', 'deployment/web'), /\n2\s+<none>\n3\s+<none>/);
  t.equal((await rses('web')).length, 2, 'undo reused the first ReplicaSet');
  await until('pods back on 1.25', async () => (await livePods('web')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.25'));

  t.match(await kubectl('rollout', 'pause', 'deployment/web'), /deployment.apps\/web paused/);
  await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:1.27');
  await until('paused condition', async () => {
    const d = await client.resource('deployments').get('default', 'web');
    return d.status?.observedGeneration === d.metadata?.generation && d.status?.conditions?.some((c) => c.reason === 'DeploymentPaused') === true;
  });
  t.equal((await rses('web')).length, 2, 'no rollout while paused');
  t.match(await kubectl('rollout', 'resume', 'deployment/web'), /deployment.apps\/web resumed/);
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
  t.equal((await rses('web')).length, 3);

  t.match(await kubectl('rollout', 'restart', 'deployment/web'), /deployment.apps\/web restarted/);
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
  const all = await rses('web');
  t.equal(all.length, 4);
  t.ok(all.some((rs) => rs.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] && rs.spec.replicas === 3), 'the restart made a new ReplicaSet');
});

t.test('kubectl delete deployment with --cascade background, foreground and orphan', async (t) => {
  for (const name of ['bg', 'fg', 'orphan']) {
    await kubectl('create', 'deployment', name, '--image=nginx:1.25', '--replicas=2');
    await kubectl('rollout', 'status', `deployment/${name}`, '--timeout=60s');
  }
  await kubectl('delete', 'deployment', 'bg', '--cascade=background');
  await until('bg ReplicaSets and pods gone', async () => (await rses('bg')).length === 0 && (await livePods('bg')).length === 0);
  await kubectl('delete', 'deployment', 'fg', '--cascade=foreground', '--wait=true');
  t.equal((await rses('fg')).length, 0, 'foreground deletion returns after the ReplicaSet is gone');
  await until('fg pods gone', async () => (await livePods('fg')).length === 0);
  await kubectl('delete', 'deployment', 'orphan', '--cascade=orphan');
  await until('orphaned ReplicaSet released', async () => {
    const list = await rses('orphan');
    return list.length === 1 && (list[0]?.metadata?.ownerReferences ?? []).length === 0;
  });
  t.equal((await livePods('orphan')).length, 2, 'orphaned pods keep running');
});
