// configMap, secret, downwardAPI and projected payloads, and hostPath type checks.
import t from 'tap';
import net from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { configMapPayload } from '../../../../pkg/kubelet/volumes/config-map-payload.js';
import { secretPayload } from '../../../../pkg/kubelet/volumes/secret-payload.js';
import { downwardApiPayload } from '../../../../pkg/kubelet/volumes/downward-api-payload.js';
import { projectedPayload } from '../../../../pkg/kubelet/volumes/projected-payload.js';
import { checkHostPathType } from '../../../../pkg/kubelet/volumes/host-path-type.js';
import type { Payload } from '../../../../pkg/kubelet/volumes/atomic-writer.js';

const text = (p: Payload) => Object.fromEntries([...p].map(([k, v]) => [k, `${v.data.toString()}|${v.mode.toString(8)}`]));

t.test('configMap: all keys at 0644, or items at their paths with their modes', async (t) => {
  const cm = { data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } };
  t.same(text(configMapPayload(undefined, cm, undefined, false)), { a: 'A|644', b: 'B|644', bin: '\x01\x02|644' });
  t.same(text(configMapPayload([{ key: 'a', path: 'dir/x', mode: 0o400 }], cm, 0o440, false)), { 'dir/x': 'A|400' });
  t.same(text(configMapPayload([{ key: 'b', path: 'y' }], cm, 0o440, false)), { y: 'B|440' });
  t.throws(() => configMapPayload([{ key: 'nope', path: 'n' }], cm, undefined, false), { message: 'configmap references non-existent config key: nope' });
  t.same(text(configMapPayload([{ key: 'nope', path: 'n' }], cm, undefined, true)), {}, 'optional skips missing keys');
});

t.test('secret: base64 data decoded', async (t) => {
  const secret = { data: { password: Buffer.from('s3cret').toString('base64') } };
  t.same(text(secretPayload(undefined, secret, 0o400, false)), { password: 's3cret|400' });
  t.throws(() => secretPayload([{ key: 'x', path: 'x' }], secret, undefined, false), { message: 'secret references non-existent secret key: x' });
});

const pod: Pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { zone: 'a', app: 'web' }, annotations: { note: 'say "hi"' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }] },
};

t.test('downwardAPI: metadata fields, label maps and resources with divisors', async (t) => {
  const p = downwardApiPayload([
    { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
    { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
    { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
    { path: 'zone', fieldRef: { fieldPath: "metadata.labels['zone']" } },
    { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
    { path: 'cpu-req', resourceFieldRef: { containerName: 'c', resource: 'requests.cpu', divisor: '1m' } },
    { path: 'cpu-lim', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' }, mode: 0o600 },
  ], pod, undefined, { cpu: '4', memory: '8Gi' });
  t.same(text(p), {
    name: 'web|644', ns: 'prod|644', uid: 'u-1|644',
    labels: 'app="web"\nzone="a"|644',
    annotations: 'note="say \\"hi\\""|644',
    zone: 'a|644',
    mem: '64|644',
    'cpu-req': '250|644',
    'cpu-lim': '4|600',
  });
  t.throws(() => downwardApiPayload([{ path: 'x', fieldRef: { fieldPath: 'spec.bogus' } }], pod, undefined, {}), { message: 'unsupported fieldPath: spec.bogus' });
});

t.test('projected: sources merge; missing objects are aggregated', async (t) => {
  const sources = {
    configMaps: new Map([['cm', { data: { k: 'v' } }], ['gone', undefined]]),
    secrets: new Map([['s', { data: { t: Buffer.from('T').toString('base64') } }]]),
    allocatable: {},
    serviceAccountToken: () => 'TOKEN',
  };
  const p = projectedPayload({
    defaultMode: 0o444,
    sources: [
      { configMap: { name: 'cm' } },
      { secret: { name: 's', items: [{ key: 't', path: 'secret/t' }] } },
      { downwardAPI: { items: [{ path: 'pod', fieldRef: { fieldPath: 'metadata.name' } }] } },
      { serviceAccountToken: { path: 'token' } },
      { configMap: { name: 'gone', optional: true } },
    ],
  }, pod, sources);
  t.same(text(p), { k: 'v|444', 'secret/t': 'T|444', pod: 'web|444', token: 'TOKEN|444' });
  t.throws(() => projectedPayload({ sources: [{ configMap: { name: 'gone' } }, { secret: { name: 'nope' } }] }, pod, { ...sources, secrets: new Map() }),
    { message: '[configmap "gone" not found, secret "nope" not found]' });
});

t.test('hostPath types', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 'file');
  await writeFile(f, 'x');

  await checkHostPathType(join(dir, 'nope'), '');
  await checkHostPathType(join(dir, 'made/deep'), 'DirectoryOrCreate');
  t.ok((await stat(join(dir, 'made/deep'))).isDirectory());
  t.equal((await stat(join(dir, 'made/deep'))).mode & 0o777, 0o755 & ~process.umask());
  await t.rejects(checkHostPathType(f, 'DirectoryOrCreate'), { message: `hostPath type check failed: ${f} is not a directory` });
  await t.rejects(checkHostPathType(join(dir, 'nope'), 'Directory'), { message: `hostPath type check failed: ${join(dir, 'nope')} is not a directory` });
  await checkHostPathType(dir, 'Directory');
  await checkHostPathType(join(dir, 'new-file'), 'FileOrCreate');
  t.ok((await stat(join(dir, 'new-file'))).isFile());
  await t.rejects(checkHostPathType(dir, 'File'), { message: `hostPath type check failed: ${dir} is not a file` });
  await checkHostPathType(f, 'File');
  await t.rejects(checkHostPathType(f, 'Socket'), { message: `hostPath type check failed: ${f} is not a socket file` });
  const sock = join(dir, 's.sock');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => server.close());
  await checkHostPathType(sock, 'Socket');
  await t.rejects(checkHostPathType(f, 'CharDevice'), { message: `hostPath type check failed: ${f} is not a character device` });
  await checkHostPathType('/dev/null', 'CharDevice');
  await t.rejects(checkHostPathType(f, 'BlockDevice'), { message: `hostPath type check failed: ${f} is not a block device` });
  await t.rejects(checkHostPathType(f, 'Weird'), { message: 'Weird is an invalid volume type' });
});
