// Kinds created only to be answered (access reviews, SelfSubjectReview) and
// serviceaccounts/token, over JSON; kubectl's protobuf forms are in the kubectl e2e test.
import t from 'tap';
import { createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inProcessServer, pod } from './http.js';

const AUTHZ = '/apis/authorization.k8s.io/v1';

t.test('access reviews are answered allowed, checked as upstream checks them, and not stored', async (t) => {
  const { api } = await inProcessServer(t);
  const asked = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } }, status: { allowed: false, reason: 'sent by the client' } };
  const yes = await api.post(`${AUTHZ}/selfsubjectaccessreviews`, asked);
  t.equal(yes.status, 201);
  t.same(yes.body['status'], { allowed: true }, 'the status the client sent is replaced');
  t.same(yes.body['spec'], asked.spec);

  const neither = await api.post(`${AUTHZ}/selfsubjectaccessreviews`, { spec: {} });
  t.equal(neither.status, 422);
  t.same(neither.body['details'].causes.map((c: { field: string }) => c.field), ['spec.resourceAttributes']);
  const both = await api.post(`${AUTHZ}/selfsubjectaccessreviews`, { spec: { resourceAttributes: {}, nonResourceAttributes: { path: '/x', verb: 'get' } } });
  t.match(both.body['message'], /spec.nonResourceAttributes: Invalid value: .*cannot be specified in combination with resourceAttributes/);
  const named = await api.post(`${AUTHZ}/selfsubjectaccessreviews`, { metadata: { name: 'x' }, spec: { resourceAttributes: {} } });
  t.match(named.body['message'], /metadata: Invalid value: .*must be empty/);

  const nobody = await api.post(`${AUTHZ}/subjectaccessreviews`, { spec: { resourceAttributes: { verb: 'get' } } });
  t.match(nobody.body['message'], /spec.user: Invalid value: "": at least one of user or group must be specified/);
  t.equal((await api.post(`${AUTHZ}/subjectaccessreviews`, { spec: { user: 'bob', resourceAttributes: { verb: 'get' } } })).body['status']?.allowed, true);

  const local = `${AUTHZ}/namespaces/default/localsubjectaccessreviews`;
  const there = await api.post(local, { spec: { user: 'bob', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } } });
  t.equal(there.status, 201);
  t.equal(there.body['metadata'].namespace, 'default');
  const elsewhere = await api.post(local, { spec: { user: 'bob', resourceAttributes: { namespace: 'other', verb: 'get' } } });
  t.match(elsewhere.body['message'], /spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace/);
  const wrongBody = await api.post(local, { metadata: { namespace: 'other' }, spec: { user: 'bob', resourceAttributes: { namespace: 'default' } } });
  t.equal(wrongBody.status, 400);

  const rules = await api.post(`${AUTHZ}/selfsubjectrulesreviews`, { spec: { namespace: 'default' } });
  t.same(rules.body['status'].resourceRules, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
  t.equal((await api.post(`${AUTHZ}/selfsubjectrulesreviews`, { spec: {} })).body['message'], 'no namespace on request');

  const whoami = await api.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', {});
  t.same(whoami.body['status'], { userInfo: { username: 'system:unsecured', groups: ['system:authenticated'] } });

  t.equal((await api.get(`${AUTHZ}/selfsubjectaccessreviews`)).status, 405, 'nothing is stored to list');
  t.equal((await api.post(`${AUTHZ}/selfsubjectaccessreviews`, { kind: 'Pod', spec: {} })).status, 400);
  const discovery = await api.get(AUTHZ);
  t.same(discovery.body['resources'].map((r: { name: string; verbs: string[] }) => `${r.name} ${r.verbs.join()}`).sort(),
    ['localsubjectaccessreviews create', 'selfsubjectaccessreviews create', 'selfsubjectrulesreviews create', 'subjectaccessreviews create']);
});

t.test('serviceaccounts/token signs a JWT with the configured key, bound to a pod when asked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-sa-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'sa.key');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const { api } = await inProcessServer(t, { serviceAccountSigningKeyFile: keyFile, serviceAccountIssuer: 'https://tskube.test' });
  const account = await api.post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
  const path = '/api/v1/namespaces/default/serviceaccounts/robot/token';

  const r = await api.post(path, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  t.equal(r.status, 201);
  t.same(r.body['spec'], { expirationSeconds: 3600, audiences: ['https://tskube.test'] }, 'defaults: an hour, the issuer as audience');
  const token: string = r.body['status'].token;
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const verified = createVerify('RSA-SHA256').update(`${head}.${payload}`).verify(createPublicKey(readFileSync(keyFile)), Buffer.from(signature, 'base64url'));
  t.ok(verified, 'the signature verifies against the key file');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  t.equal(claims['iss'], 'https://tskube.test');
  t.equal(claims['sub'], 'system:serviceaccount:default:robot');
  t.same(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: account.body['metadata'].uid } });
  t.equal(new Date(r.body['status'].expirationTimestamp).getTime() / 1000, claims['exp']);

  const short = await api.post(path, { spec: { expirationSeconds: 599 } });
  t.equal(short.status, 422);
  t.match(short.body['message'], /spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/);

  const p = await api.post('/api/v1/namespaces/default/pods', pod('runs-as-robot', { spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox:1.35' }] } }));
  const ref = { kind: 'Pod', apiVersion: 'v1', name: 'runs-as-robot' };
  const bound = await api.post(path, { spec: { boundObjectRef: { ...ref, uid: p.body['metadata'].uid } } });
  t.same(JSON.parse(Buffer.from(bound.body['status'].token.split('.')[1], 'base64url').toString())['kubernetes.io'].pod, { name: 'runs-as-robot', uid: p.body['metadata'].uid });
  const stale = await api.post(path, { spec: { boundObjectRef: { ...ref, uid: 'not-its-uid' } } });
  t.equal(stale.status, 409);
  t.equal((await api.post(path, { spec: { boundObjectRef: { ...ref, name: 'missing' } } })).status, 404);
  t.equal((await api.post(path, { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } })).status, 400);
  t.equal((await api.post('/api/v1/namespaces/default/serviceaccounts/nobody/token', { spec: {} })).status, 404);
  const wrongVersion = await api.post(path, { apiVersion: 'v1', kind: 'TokenRequest', spec: {} });
  t.equal(wrongVersion.body['message'], 'the API version in the data (v1) does not match the expected API version (authentication.k8s.io/v1)');
});
