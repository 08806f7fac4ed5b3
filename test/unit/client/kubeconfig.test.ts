import t from 'tap';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConfigFromFlags, loadKubeconfig } from '../../../pkg/client/kubeconfig.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: local
clusters:
- name: local
  cluster:
    server: http://127.0.0.1:8080
- name: secure
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
users:
- name: admin
  user:
    token: abc123
- name: certs
  user:
    client-certificate: client.crt
    client-key-data: ${Buffer.from('KEY PEM').toString('base64')}
contexts:
- name: local
  context: { cluster: local, user: admin }
- name: secure
  context: { cluster: secure, user: certs, namespace: team-a }
- name: broken
  context: { cluster: missing, user: admin }
`;

t.test('kubeconfig contexts resolve to client configs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tskube-kc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'config');
  await writeFile(path, KUBECONFIG);
  await writeFile(join(dir, 'client.crt'), 'CERT PEM');

  t.same(await loadKubeconfig(path), { server: 'http://127.0.0.1:8080', token: 'abc123' }, 'current-context by default');
  t.same(await loadKubeconfig(path, 'secure'), {
    server: 'https://127.0.0.1:6443', caData: 'CA PEM', certData: 'CERT PEM', keyData: 'KEY PEM', namespace: 'team-a',
  }, 'file paths are relative to the kubeconfig; -data fields are base64');
  await t.rejects(loadKubeconfig(path, 'nope'), /context "nope" does not exist/);
  await t.rejects(loadKubeconfig(path, 'broken'), /has no server/);

  t.same(await clientConfigFromFlags({ master: 'http://127.0.0.1:9999' }), { server: 'http://127.0.0.1:9999' });
  t.equal((await clientConfigFromFlags({ kubeconfig: path, master: 'http://127.0.0.1:1' })).server, 'http://127.0.0.1:1',
    '--master overrides the kubeconfig server');
  t.equal((await clientConfigFromFlags({}, { KUBECONFIG: `/nonexistent:${path}`, HOME: dir })).token, 'abc123',
    '$KUBECONFIG is searched when no flag is given');
  await t.rejects(clientConfigFromFlags({}, { HOME: dir }), /no --master/);
});
