// v1 componentstatuses: every read probes the components, nothing is stored.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../harness/free-port.js';
import { componentProbes } from '../../../pkg/apiserver/handlers/component-statuses.js';
import { inProcessServer } from './http.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** A local HTTP server that answers every request with this status and body. */
async function answering(status: number, body: string, t: { teardown(fn: () => unknown): void }): Promise<string> {
  const server: Server = createServer((_req, res) => { res.writeHead(status); res.end(body); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('componentstatuses probes the scheduler, controller-manager and etcd on every read', async (t) => {
  const scheduler = await answering(200, 'ok', t);
  const closedPort = await freePort();
  const sickEtcd = await answering(200, '{"health":"false","reason":"RAFT NO LEADER"}', t);
  const failing = await answering(500, 'no', t);
  const { etcd } = await inProcessServer(t);
  const { api } = await inProcessServer(t, {
    componentProbes: [
      ...componentProbes([etcd, sickEtcd], { scheduler: `${scheduler}/healthz`, controllerManager: `http://127.0.0.1:${closedPort}/healthz` }),
      { name: 'failing', url: `${failing}/healthz` },
    ],
  });

  const list = await api.get('/api/v1/componentstatuses');
  t.equal(list.status, 200);
  t.match(list.headers.get('warning'), /299 - "v1 ComponentStatus is deprecated in v1.19\+"/);
  t.equal(list.body['kind'], 'ComponentStatusList');
  const byName = Object.fromEntries((list.body['items'] as { metadata: { name: string }; conditions: object[] }[]).map((i) => [i.metadata.name, i.conditions]));
  t.same(Object.keys(byName), ['scheduler', 'controller-manager', 'etcd-0', 'etcd-1', 'failing']);
  t.same(byName['scheduler'], [{ type: 'Healthy', status: 'True', message: 'ok' }]);
  t.same(byName['controller-manager'], [{ type: 'Healthy', status: 'False', message: `Get "http://127.0.0.1:${closedPort}/healthz": dial tcp 127.0.0.1:${closedPort}: connect: connection refused` }]);
  t.match(byName['etcd-0'], [{ type: 'Healthy', status: 'True', message: /"health":"true"/ }], 'the real etcd');
  t.same(byName['etcd-1'], [{ type: 'Healthy', status: 'False', message: '{"health":"false","reason":"RAFT NO LEADER"}', error: 'Unhealthy health check' }]);
  t.same(byName['failing'], [{ type: 'Healthy', status: 'False', message: 'HTTP probe failed with statuscode: 500' }]);

  const one = await api.get('/api/v1/componentstatuses/scheduler');
  t.match(one.body, { kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name: 'scheduler' }, conditions: [{ status: 'True' }] });
  const missing = await api.get('/api/v1/componentstatuses/nope');
  t.match([missing.status, missing.body], [404, { kind: 'Status', reason: 'NotFound', message: 'componentstatuses "nope" not found' }]);

  const picked = await api.get('/api/v1/componentstatuses?fieldSelector=metadata.name%3Detcd-0');
  t.same(picked.body['items'].map((i: { metadata: { name: string } }) => i.metadata.name), ['etcd-0']);
  t.same((await api.get('/api/v1/componentstatuses?labelSelector=tier%3Dcontrol-plane')).body['items'], [], 'nothing has labels');

  const table = await api.get('/api/v1/componentstatuses', { accept: TABLE });
  t.same(table.body['columnDefinitions'].map((c: { name: string }) => c.name), ['Name', 'Status', 'Message', 'Error']);
  t.same(table.body['rows'][0].cells, ['scheduler', 'Healthy', 'ok', '']);
  t.same(table.body['rows'][3].cells, ['etcd-1', 'Unhealthy', '{"health":"false","reason":"RAFT NO LEADER"}', 'Unhealthy health check']);

  for (const [method, path] of [['POST', '/api/v1/componentstatuses'], ['DELETE', '/api/v1/componentstatuses/scheduler'], ['GET', '/api/v1/componentstatuses?watch=true']] as const) {
    const r = await api.request(method, path, method === 'POST' ? { body: { metadata: { name: 'x' } } } : {});
    t.equal(r.status, 405, `${method} ${path}`);
  }

  const discovery = await api.get('/api/v1');
  t.match(discovery.body['resources'].find((r: { name: string }) => r.name === 'componentstatuses'),
    { kind: 'ComponentStatus', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'] });
});
