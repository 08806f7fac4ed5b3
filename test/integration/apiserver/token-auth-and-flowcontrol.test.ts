// --token-auth-file against a real apiserver: a bearer token maps to its user (seen through
// SelfSubjectReview, what `kubectl auth whoami` sends), an unknown one is 401; and the
// flowcontrol.apiserver.k8s.io bootstrap objects are served with their table columns.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inProcessServer } from './http.js';

const FC = '/apis/flowcontrol.apiserver.k8s.io/v1';
const whoami = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

t.test('bearer tokens from the token file name the request\'s user', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-tokens-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tokens.csv');
  writeFileSync(file, 'node-token,system:node:n1,uid-1,"system:nodes,system:authenticated"\nsched,system:kube-scheduler,,\n');
  const { api } = await inProcessServer(t, { tokenAuthFile: file });

  const node = await api.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', whoami, { headers: { authorization: 'Bearer node-token' } });
  t.equal(node.status, 201);
  t.same(node.body['status'], { userInfo: { username: 'system:node:n1', uid: 'uid-1', groups: ['system:nodes', 'system:authenticated'] } });
  const sched = await api.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', whoami, { headers: { authorization: 'Bearer sched' } });
  t.same(sched.body['status'], { userInfo: { username: 'system:kube-scheduler', groups: ['', 'system:authenticated'] } },
    'an empty 4th column is one empty group, as strings.Split gives');

  const anonymous = await api.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', whoami);
  t.same(anonymous.body['status'], { userInfo: { username: 'system:unsecured', groups: ['system:authenticated'] } }, 'no credentials: the local port\'s user');

  const bad = await api.get('/api/v1/namespaces', { headers: { authorization: 'Bearer nope' } });
  t.equal(bad.status, 401);
  t.same(bad.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
});

t.test('the bootstrap FlowSchemas and PriorityLevelConfigurations are created and printed as upstream', async (t) => {
  const { api } = await inProcessServer(t);
  const levels = await api.get(`${FC}/prioritylevelconfigurations`);
  t.equal(levels.status, 200);
  t.same(levels.body['items'].map((o: { metadata: { name: string } }) => o.metadata.name).sort(),
    ['catch-all', 'exempt', 'global-default', 'leader-election', 'node-high', 'system', 'workload-high', 'workload-low']);
  const exempt = await api.get(`${FC}/flowschemas/exempt`);
  t.equal(exempt.body['metadata'].annotations['apf.kubernetes.io/autoupdate-spec'], 'true');
  t.match(exempt.body['status'].conditions, [{ type: 'Dangling', status: 'False', reason: 'Found' }]);

  const table = await api.get(`${FC}/flowschemas`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  t.same(table.body['columnDefinitions'].map((c: { name: string }) => c.name),
    ['Name', 'PriorityLevel', 'MatchingPrecedence', 'DistinguisherMethod', 'Age', 'MissingPL']);
  const row = table.body['rows'].find((r: { cells: unknown[] }) => r.cells[0] === 'system-nodes');
  t.same([row.cells[1], row.cells[2], row.cells[3], row.cells[5]], ['system', 500, 'ByUser', 'False']);

  const plTable = await api.get(`${FC}/prioritylevelconfigurations`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  t.same(plTable.body['columnDefinitions'].map((c: { name: string }) => c.name),
    ['Name', 'Type', 'NominalConcurrencyShares', 'Queues', 'HandSize', 'QueueLengthLimit', 'Age']);
  const catchAll = plTable.body['rows'].find((r: { cells: unknown[] }) => r.cells[0] === 'catch-all');
  t.same(catchAll.cells.slice(1, 6), ['Limited', 5, '<none>', '<none>', '<none>']);

  const invalid = await api.post(`${FC}/flowschemas`, { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema',
    metadata: { name: 'mine' }, spec: { priorityLevelConfiguration: { name: 'workload-low' }, matchingPrecedence: 20000 } });
  t.equal(invalid.status, 422);
  t.match(invalid.body['message'], /spec.matchingPrecedence: Invalid value: 20000: must not be greater than 10000/);
});
