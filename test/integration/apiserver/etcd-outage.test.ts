// The kube-apiserver process across a SIGKILL of its etcd: requests that need etcd answer
// 503 ServiceUnavailable while it is gone, the process stays up, and once etcd is back reads,
// writes and the watches that were open all carry on.
import t from 'tap';
import { startEtcd } from '../../harness/etcd.js';
import { startApiServer } from '../../harness/apiserver.js';
import { Api, configMap, eventually } from './http.js';

const CMS = '/api/v1/namespaces/default/configmaps';

t.test('etcd SIGKILLed and restarted under a running apiserver', async (t) => {
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const server = await startApiServer(etcd.endpoint, '/registry');
  t.teardown(() => server.kill());
  const api = new Api(server.url);
  const before = await api.create(CMS, configMap('before'));
  const w = api.watch(`${CMS}?watch=true&resourceVersion=${before['metadata'].resourceVersion}`);
  t.teardown(() => w.close());
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
