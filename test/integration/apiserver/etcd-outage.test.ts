// The kube-apiserver process across a SIGKILL of its etcd: requests that need etcd answer
// 503 ServiceUnavailable while it is gone (and those that need a watch cache that cannot load
// 429, as upstream's cacher while it initializes), the process stays up, and once etcd is back
// reads, writes and the watches that were open all carry on.
import t from 'tap';
import { startEtcd } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';
import { Api, configMap, eventually } from './http.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';

t.test('etcd SIGKILLed and restarted under a running apiserver', async (t) => {
  const { etcd, server, api } = await apiserverOnOwnEtcd(t);
  const before = await api.create(CMS, configMap('before'));
  const w = api.watch(`${CMS}?watch=true&resourceVersion=${before['metadata'].resourceVersion}`);
  t.teardown(() => w.close());
  // 200 is sent once the watch is subscribed to the loaded cache: the kill cannot precede it.
  t.equal(await w.status, 200);

  await etcd.kill();
  const read = await api.request('GET', `${CMS}/before?resourceVersion=`);
  t.equal(read.status, 503, 'a read from etcd');
  t.match(read.body, { kind: 'Status', status: 'Failure', code: 503, reason: 'ServiceUnavailable' });
  t.match(read.body['message'], /etcd/);
  const write = await api.request('POST', CMS, { body: configMap('during') });
  t.equal(write.status, 503, 'a write');
  t.equal(server.process.exitCode, null, 'the apiserver is still running');

  await etcd.start();
  const after = await eventually(async () => {
    const res = await api.request('POST', CMS, { body: configMap('after') });
    return res.status === 201 ? res.body : undefined;
  }, 'a create to succeed after the restart');
  t.equal((await api.request('GET', `${CMS}/before`)).status, 200, 'what was stored before is still there');
  const ev = await w.nextChange(15_000);
  t.match(ev, { type: 'ADDED', object: { metadata: { name: 'after', resourceVersion: after['metadata'].resourceVersion } } },
    'the watch opened before the kill sees the create made after the restart');
  const list = await api.request('GET', CMS);
  t.same(list.body['items'].map((o: { metadata: { name: string } }) => o.metadata.name).sort(), ['after', 'before']);
});

t.test('caches that first load while etcd is gone refuse with 429 and load once it is back', async (t) => {
  const { etcd, api } = await apiserverOnOwnEtcd(t);
  await etcd.kill();

  // The namespace check of a create reads the namespaces cache, which has not loaded yet.
  const create = await api.request('POST', SECRETS, { body: secret('s1') });
  t.equal(create.status, 503, 'a create is refused as etcd being unavailable, not as a missing namespace');
  t.match(create.body, { reason: 'ServiceUnavailable' });
  for (const path of [`${SECRETS}?watch=true`, `${SECRETS}?resourceVersion=0`]) {
    const res = await api.request('GET', path);
    t.equal(res.status, 429, `GET ${path}`);
    t.equal(res.headers.get('retry-after'), '1');
    t.match(res.body, { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'storage is (re)initializing', details: { retryAfterSeconds: 1 } });
  }

  await etcd.start();
  await eventually(async () => (await api.request('GET', `${SECRETS}?resourceVersion=0`)).status === 200 || undefined,
    'the secrets cache to load');
  const w = api.watch(`${SECRETS}?watch=true`);
  t.teardown(() => w.close());
  t.equal(await w.status, 200, 'the same watch is served');
  const created = await api.create(SECRETS, secret('s1'));
  t.match(await w.nextChange(15_000), { type: 'ADDED', object: { metadata: { name: 's1', resourceVersion: created['metadata'].resourceVersion } } });
  const cached = await api.request('GET', `${SECRETS}?resourceVersion=0`);
  t.same(cached.body['items'].map((o: { metadata: { name: string } }) => o.metadata.name), ['s1'], 'the cache lists it');
});

/** Its own etcd, which the test kills: the shared one serves every other test file. */
async function apiserverOnOwnEtcd(t: { teardown(fn: () => unknown): void }) {
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const server = await startApiServer(etcd.endpoint, '/registry');
  t.teardown(() => server.kill());
  return { etcd, server, api: new Api(server.url) };
}

function secret(name: string) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } };
}
