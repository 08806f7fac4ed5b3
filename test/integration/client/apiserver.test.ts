// pkg/client against the real kube-apiserver process over a real etcd: kill it, compact
// its history, kill a leader, and the caches and the lease still come out right.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEtcd, testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { isAlreadyExists, isNotFound } from '../../../pkg/api/errors.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { LeaderElector } from '../../../pkg/client/leader-election.js';
import { compactEtcd, startApiServer, startInProcessApiServer } from '../../harness/apiserver.js';

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const ensureNamespace = async (client: RestClient, name: string) => {
  await client.resource('namespaces').create('', { metadata: { name } }).catch((e: unknown) => { if (!isAlreadyExists(e)) throw e; });
};
const names = (cms: readonly { metadata?: { name?: string } }[]) => cms.map((c) => c.metadata?.name ?? '').sort();

t.test('the informer cache equals the server after the apiserver is SIGKILLed mid-burst', async (t) => {
  const etcd = await testEtcd(t);
  const api = await startApiServer(etcd, uniquePrefix('client'));
  const client = new RestClient({ server: api.url });
  const writer = new RestClient({ server: api.url });
  const ac = new AbortController();
  const factory = new InformerFactory(client);
  t.teardown(async () => { ac.abort(); await factory.shutdown(); await client.destroy(); await writer.destroy(); await api.kill(); });
  await ensureNamespace(writer, 'burst');
  const informer = factory.informer('configmaps', { namespace: 'burst' });
  factory.start(ac.signal);
  t.ok(await factory.waitForCacheSync(ac.signal));

  const cms = writer.resource('configmaps');
  const burst = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const name = `cm-${i}`;
      try {
        await cms.create('burst', { metadata: { name }, data: { i: String(i) } });
        if (i % 3 === 0) await cms.delete('burst', `cm-${i - 1}`);
        if (i % 5 === 0) await cms.patch('burst', name, 'merge', { data: { i: `${i}-patched` } });
      } catch (e) {
        if (!isNotFound(e) && !isAlreadyExists(e)) await new Promise((r) => setTimeout(r, 50)); // server down: move on
      }
    }
  };
  const writing = burst(0, 60);
  await until('some writes', async () => informer.lister.list().length >= 10);
  await api.restart();
  await writing;
  await burst(60, 80);

  const server = await cms.list('burst');
  await until('cache = server', () => JSON.stringify(names(informer.lister.list())) === JSON.stringify(names(server.items)));
  for (const cm of server.items) {
    t.equal(informer.lister.get('burst', cm.metadata?.name ?? '')?.metadata?.resourceVersion, cm.metadata?.resourceVersion, `${cm.metadata?.name} up to date`);
  }
});

t.test('the informer relists after a forced 410 and delivers the deletes it missed', async (t) => {
  // An etcd of its own: compacting the shared one takes history other test files are reading.
  const own = await startEtcd();
  t.teardown(() => own.stop());
  const etcd = own.endpoint;
  const prefix = uniquePrefix('client');
  const api = await startApiServer(etcd, prefix);
  // A second apiserver on the same etcd and prefix takes the writes while the first is down.
  const other = await startInProcessApiServer(etcd, prefix);
  const client = new RestClient({ server: api.url });
  const writer = new RestClient({ server: other.url });
  const ac = new AbortController();
  const factory = new InformerFactory(client);
  t.teardown(async () => { ac.abort(); await factory.shutdown(); await client.destroy(); await writer.destroy(); await api.kill(); await other.close(); });
  await ensureNamespace(writer, 'gone');
  const cms = writer.resource('configmaps');
  await cms.create('gone', { metadata: { name: 'keep' } });
  await cms.create('gone', { metadata: { name: 'doomed' } });
  const informer = factory.informer('configmaps', { namespace: 'gone' });
  const deletes: string[] = [];
  informer.addEventHandler({ delete: (o) => { deletes.push('key' in o ? o.key : `${o.metadata?.namespace}/${o.metadata?.name}`); } });
  factory.start(ac.signal);
  t.ok(await factory.waitForCacheSync(ac.signal));

  // The informer's server goes away, things change, and etcd forgets the history between.
  await api.kill();
  await cms.delete('gone', 'doomed');
  await cms.create('gone', { metadata: { name: 'new' } });
  for (let i = 0; i < 5; i++) await cms.patch('gone', 'new', 'merge', { data: { i: String(i) } });
  await compactEtcd(etcd);
  await api.restart();

  await until('new object seen', () => informer.lister.get('gone', 'new')?.data?.['i'] === '4');
  t.same(names(informer.lister.list()), ['keep', 'new']);
  await until('delete delivered', () => deletes.length > 0);
  t.same(deletes, ['gone/doomed']);
});

t.test('two electors never both lead; the standby takes over after the leader is SIGKILLed', async (t) => {
  const etcd = await testEtcd(t);
  // Only the lease holder is killed here; the apiserver may live in this process.
  const api = await startInProcessApiServer(etcd, uniquePrefix('client'));
  const client = new RestClient({ server: api.url });
  const ac = new AbortController();
  t.teardown(async () => { ac.abort(); await client.destroy(); await api.close(); });
  await ensureNamespace(client, 'kube-system');

  const child = spawn(process.execPath, [fileURLToPath(new URL('./lease-holder.js', import.meta.url)), api.url, 'kube-system', 'test-lock', 'child'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  await until('child leads', () => out.includes('leading child'));

  let leadingAt = 0;
  const standby = new LeaderElector({ client, namespace: 'kube-system', name: 'test-lock', identity: 'standby', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
  const running = standby.run({ signal: ac.signal, onStartedLeading: () => { leadingAt = Date.now(); } });
  await new Promise((r) => setTimeout(r, 4000));
  t.equal(leadingAt, 0, 'the standby does not lead while the child renews');

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await until('standby leads', () => leadingAt > 0, 10_000);
  t.ok(leadingAt - killedAt <= 3000 + 2 * 1100, `took over ${leadingAt - killedAt} ms after the kill`);
  const lease = await client.resource('leases').get('kube-system', 'test-lock');
  t.equal(lease.spec?.holderIdentity, 'standby');
  t.equal(lease.spec?.leaseTransitions, 1);
  ac.abort();
  await running;
  const released = await client.resource('leases').get('kube-system', 'test-lock');
  t.equal(released.spec?.holderIdentity ?? '', '', 'released on clean shutdown');
});
