// kube-controller-manager as processes: two candidates on one Lease; SIGKILL of the leader in
// the middle of a rollout, and the standby finishes it without creating a pod too many.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';
import { isConflict } from '../../../pkg/api/errors.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { markPodsReady } from './mark-pods-ready.js';
import { until as untilTrue } from '../../harness/until.js';

const KCM_MAIN = fileURLToPath(new URL('../../../cmd/kube-controller-manager/main.js', import.meta.url));

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => untilTrue(what, cond, ms);

const etcd = await testEtcd(t);
const api = await startApiServer(etcd, uniquePrefix('kcm'));

const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const procs: ChildProcess[] = [];
t.teardown(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  ac.abort(); await informers.shutdown(); await client.destroy(); await api.kill();
});

function startKcm(): ChildProcess {
  const p = spawn(process.execPath, [KCM_MAIN, '--master', api.url, '--port', '0', '--controllers', 'replicaset,deployment',
    '--leader-elect-lease-duration', '2s', '--leader-elect-renew-deadline', '1500ms', '--leader-elect-retry-period', '500ms'],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'error' } });
  procs.push(p);
  return p;
}

const holder = async () => (await client.resource('leases').get('kube-system', 'kube-controller-manager').catch(() => undefined))?.spec?.holderIdentity ?? '';

t.test('the standby finishes a rollout after the leader is SIGKILLed, creating no extra pods', async (t) => {
  const ns = 'failover';
  await client.resource('namespaces').create('', { metadata: { name: ns } });
  markPodsReady(client, informers, ns, { delayMs: 150 });
  const created = new Set<string>();
  informers.informer('pods', { namespace: ns }).addEventHandler({ add: (p) => { created.add(p.metadata?.uid ?? ''); } });
  informers.start(ac.signal);
  await informers.waitForCacheSync(ac.signal);

  const leader = startKcm();
  await until('a leader', async () => (await holder()) !== '');
  const first = await holder();
  const standby = startKcm();

  const deployments = client.resource('deployments');
  const d: Deployment = {
    metadata: { name: 'web' },
    spec: {
      replicas: 6, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
    },
  };
  await deployments.create(ns, d);
  const complete = async () => {
    const cur = await deployments.get(ns, 'web');
    const s = cur.status;
    return (s?.observedGeneration ?? 0) >= (cur.metadata?.generation ?? 0) && s?.updatedReplicas === 6 && s.replicas === 6 && s.availableReplicas === 6;
  };
  await until('first rollout', complete);
  t.equal(created.size, 6);

  for (let i = 0; ; i++) {
    try {
      await deployments.patch(ns, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
      break;
    } catch (e) { if (!isConflict(e) || i > 20) throw e; }
  }
  await until('the rollout under way', () => created.size >= 8);
  leader.kill('SIGKILL');
  await until('the standby to take the lease', async () => { const h = await holder(); return h !== '' && h !== first; });
  await until('second rollout', complete, 60_000);
  const pods = (await client.resource('pods').list(ns)).items.filter((p) => !p.metadata?.deletionTimestamp);
  t.equal(pods.length, 6);
  t.ok(pods.every((p) => p.spec?.containers[0]?.image === 'nginx:1.26'), 'all pods on the new template');
  t.equal(created.size, 12, 'exactly 6 + 6 pods were ever created');
  t.equal(standby.exitCode, null, 'the standby is still running');

  // SIGTERM stops cleanly and releases the lease.
  const exited = new Promise<number | null>((r) => standby.once('exit', (code) => r(code)));
  standby.kill('SIGTERM');
  t.equal(await exited, 0);
  await until('the lease released', async () => (await holder()) === '');
});
