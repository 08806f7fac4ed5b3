// The service account controller against a real apiserver over real etcd.
import t from 'tap';
import { pino } from 'pino';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { isNotFound } from '../../../pkg/api/errors.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { newControllerContext } from '../../../pkg/controller/controller-context.js';
import { ServiceAccountsController } from '../../../pkg/controller/serviceaccount/service-account-controller.js';
import { until as untilTrue } from '../../harness/until.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => untilTrue(what, cond, ms);

const etcd = await testEtcd(t);
const api = await startInProcessApiServer(etcd, uniquePrefix('sa'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const ctx = newControllerContext({ client, informers, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }) });
const running = new ServiceAccountsController(ctx).run(ac.signal);
t.teardown(async () => { ac.abort(); await running; await informers.shutdown(); await client.destroy(); await api.close(); });

const sas = client.resource('serviceaccounts');
const hasDefault = async (ns: string) => {
  try { await sas.get(ns, 'default'); return true; } catch (e) { if (isNotFound(e)) return false; throw e; }
};

t.test('every namespace gets a default ServiceAccount, the bootstrapped ones included', async (t) => {
  await client.resource('namespaces').create('', { metadata: { name: 'team-a' } });
  await until('default SA in team-a', () => hasDefault('team-a'));
  for (const ns of ['default', 'kube-system']) await until(`default SA in ${ns}`, () => hasDefault(ns));
  t.pass('created');
});

t.test('a deleted default ServiceAccount is created again', async (t) => {
  await client.resource('namespaces').create('', { metadata: { name: 'team-b' } });
  await until('default SA', () => hasDefault('team-b'));
  const first = await sas.get('team-b', 'default');
  await sas.delete('team-b', 'default');
  let again: typeof first | undefined;
  await until('recreated', async () => {
    try { again = await sas.get('team-b', 'default'); return again.metadata?.uid !== first.metadata?.uid; } catch (e) { if (isNotFound(e)) return false; throw e; }
  });
  t.not(again?.metadata?.uid, first.metadata?.uid, 'a new object');
});

t.test('a terminating namespace gets none', async (t) => {
  await client.resource('namespaces').create('', { metadata: { name: 'team-c' } });
  await until('default SA', () => hasDefault('team-c'));
  await client.resource('namespaces').delete('', 'team-c');
  await sas.delete('team-c', 'default');
  // Nothing empties or finalizes it here, so it stays Terminating; give the controller a chance to act.
  await client.resource('configmaps').create('default', { metadata: { name: 'barrier' } }).catch(() => undefined);
  await until('the controller saw the namespace terminating', () => informers.informer('namespaces').lister.get('', 'team-c')?.status?.phase === 'Terminating');
  t.notOk(await hasDefault('team-c'));
});
