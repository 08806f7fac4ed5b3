// VolumeManager against an in-memory configMap/secret source: layout, errors, refresh,
// teardown and container mounts.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../../../pkg/api/errors.js';
import type { RestClient } from '../../../../pkg/client/rest-client.js';
import { VolumeManager } from '../../../../pkg/kubelet/volumes/volume-manager.js';
import { VolumeConfigError } from '../../../../pkg/kubelet/volumes/volume-config-error.js';
import { canMountTmpfs } from '../../../../pkg/kubelet/volumes/tmpfs.js';

function fakeClient(store: { configmaps: Map<string, ConfigMap>; secrets: Map<string, Secret> }): RestClient {
  return {
    resource: (plural: 'configmaps' | 'secrets') => ({
      get: async (ns: string, name: string) => {
        const obj = store[plural].get(`${ns}/${name}`);
        if (!obj) throw new StatusError(404, 'NotFound', `${plural} "${name}" not found`);
        return structuredClone(obj);
      },
    }),
  } as unknown as RestClient;
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const rootDir = await mkdtemp(join(tmpdir(), 'vm-'));
  t.teardown(() => rm(rootDir, { recursive: true, force: true }));
  const store = { configmaps: new Map<string, ConfigMap>(), secrets: new Map<string, Secret>() };
  const vm = new VolumeManager({ rootDir, client: fakeClient(store), log: pino({ level: 'silent' }), memoryMedium: 'never' });
  return { rootDir, store, vm };
}

const pod = (volumes: NonNullable<NonNullable<Pod['spec']>['volumes']>, uid = 'uid-1'): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid },
  spec: { containers: [{ name: 'c' }], volumes },
});

t.test('lays volumes out under pods/<uid>/volumes/<plugin>/<name>', async (t) => {
  const { rootDir, store, vm } = await setup(t);
  store.configmaps.set('default/cfg', { data: { 'app.conf': 'x=1' } });
  store.secrets.set('default/creds', { data: { pw: Buffer.from('pw').toString('base64') } });
  const hostDir = join(rootDir, 'host');
  const paths = await vm.setupPod(pod([
    { name: 'scratch', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'cfg' } },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }, { serviceAccountToken: { path: 'token' } }] } },
    { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
  ]));
  const base = join(rootDir, 'pods/uid-1/volumes');
  t.same(Object.fromEntries(paths), {
    scratch: join(base, 'kubernetes.io~empty-dir/scratch'),
    cfg: join(base, 'kubernetes.io~configmap/cfg'),
    creds: join(base, 'kubernetes.io~secret/creds'),
    info: join(base, 'kubernetes.io~downward-api/info'),
    all: join(base, 'kubernetes.io~projected/all'),
    host: hostDir,
  });
  t.equal((await stat(paths.get('scratch')!)).mode & 0o777, 0o777, 'emptyDir is world-writable');
  t.equal(await readFile(join(paths.get('cfg')!, 'app.conf'), 'utf8'), 'x=1');
  t.equal(await readFile(join(paths.get('creds')!, 'pw'), 'utf8'), 'pw');
  t.equal((await stat(join(paths.get('creds')!, 'pw'))).mode & 0o777, 0o400);
  t.equal(await readFile(join(paths.get('info')!, 'name'), 'utf8'), 'web');
  t.match(await readFile(join(paths.get('all')!, 'token'), 'utf8'), /^[\w-]+\.[\w-]+\.$/);
  t.ok((await stat(hostDir)).isDirectory());

  const again = await vm.setupPod(pod([{ name: 'cfg', configMap: { name: 'cfg' } }]));
  t.equal(again.get('cfg'), paths.get('cfg'), 'setup is idempotent');

  await vm.teardownPod('uid-1');
  t.notOk(existsSync(join(rootDir, 'pods/uid-1')));
  t.ok(existsSync(hostDir), 'hostPath volumes are left alone');
});

t.test('missing objects fail with the kubelet message unless optional', async (t) => {
  const { vm, store } = await setup(t);
  await t.rejects(vm.setupPod(pod([{ name: 'cfg', configMap: { name: 'nope' } }])),
    new VolumeConfigError('configmap "nope" not found', 'cfg'));
  await t.rejects(vm.setupPod(pod([{ name: 's', secret: { secretName: 'nope' } }])), { message: 'secret "nope" not found', volumeName: 's' });
  const err = await vm.setupPod(pod([{ name: 'cfg', configMap: { name: 'nope' } }])).then(() => undefined, (e: VolumeConfigError) => e);
  t.equal(err?.eventMessage, 'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
  const paths = await vm.setupPod(pod([{ name: 'cfg', configMap: { name: 'nope', optional: true } }]));
  t.ok(paths.has('cfg'), 'an optional missing configMap is an empty volume');
  store.configmaps.set('default/cfg', { data: { a: '1' } });
  await t.rejects(vm.setupPod(pod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }])),
    { message: 'configmap references non-existent config key: b' });
  await t.rejects(vm.setupPod(pod([{ name: 'h', hostPath: { path: '/definitely/not/here', type: 'Directory' } }])),
    { message: 'hostPath type check failed: /definitely/not/here is not a directory', volumeName: 'h' });
});

t.test('refresh rewrites changed contents in place and keeps them when the object goes', async (t) => {
  const { vm, store } = await setup(t);
  store.configmaps.set('default/cfg', { data: { a: '1' } });
  const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
  const dir = (await vm.setupPod(p)).get('cfg')!;
  const before = await readlink(join(dir, '..data'));
  await vm.refresh(p);
  t.equal(await readlink(join(dir, '..data')), before, 'unchanged: not rewritten');
  store.configmaps.set('default/cfg', { data: { a: '2', b: 'new' } });
  await vm.refresh(p);
  t.equal(await readFile(join(dir, 'a'), 'utf8'), '2');
  t.equal(await readFile(join(dir, 'b'), 'utf8'), 'new');
  store.configmaps.delete('default/cfg');
  await vm.refresh(p);
  t.equal(await readFile(join(dir, 'a'), 'utf8'), '2', 'kept after the configMap is deleted');
});

t.test('mountsFor resolves subPath, forces API data read-only, and refuses escapes', async (t) => {
  const { vm, store } = await setup(t);
  store.configmaps.set('default/cfg', { data: { 'app.conf': 'x=1' } });
  const p: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-2' },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
      containers: [{
        name: 'c',
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'data', mountPath: '/logs', subPathExpr: 'logs/$(POD)' },
          { name: 'cfg', mountPath: '/etc/app', readOnly: false },
          { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        ],
      }],
    },
  };
  const paths = await vm.setupPod(p);
  const mounts = vm.mountsFor(p, p.spec!.containers[0]!, paths);
  t.same(mounts, [
    { hostPath: paths.get('data'), containerPath: '/data', readOnly: false },
    { hostPath: join(paths.get('data')!, 'logs/web'), containerPath: '/logs', readOnly: false },
    { hostPath: paths.get('cfg'), containerPath: '/etc/app', readOnly: true },
    { hostPath: join(paths.get('cfg')!, 'app.conf'), containerPath: '/etc/app.conf', readOnly: true },
  ]);
  t.ok((await stat(join(paths.get('data')!, 'logs/web'))).isDirectory(), 'missing subPath created');
  await writeFile(join(paths.get('data')!, 'x'), '');
  const escape = { ...p.spec!.containers[0]!, volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../../..' }] };
  t.throws(() => vm.mountsFor(p, escape, paths), /not within volume path/);
  const unknown = { ...p.spec!.containers[0]!, volumeMounts: [{ name: 'nope', mountPath: '/x' }] };
  t.throws(() => vm.mountsFor(p, unknown, paths), { message: 'cannot find volume "nope" to mount into container "c"' });
});

t.test('medium Memory is a tmpfs when running as root, unmounted on teardown', async (t) => {
  if (!canMountTmpfs()) { t.plan(0, 'needs root to mount tmpfs'); return; }
  const rootDir = await mkdtemp(join(tmpdir(), 'vm-'));
  t.teardown(() => rm(rootDir, { recursive: true, force: true }));
  const vm = new VolumeManager({ rootDir, client: fakeClient({ configmaps: new Map(), secrets: new Map() }), log: pino({ level: 'silent' }) });
  const p = pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }], 'uid-mem');
  const dir = (await vm.setupPod(p)).get('mem')!;
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  const line = mounts.split('\n').find((l) => l.split(' ')[4] === dir);
  t.match(line, / - tmpfs tmpfs .*size=16384k/);
  await vm.setupPod(p);
  t.equal((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.split(' ')[4] === dir).length, 1, 'mounted once');
  await vm.teardownPod('uid-mem');
  t.notOk((await readFile('/proc/self/mountinfo', 'utf8')).includes(dir));
  t.notOk(existsSync(dir));
});
