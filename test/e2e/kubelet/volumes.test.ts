// VolumeManager with a real apiserver (configMaps, secrets) and real Docker containers: every
// volume type is visible inside a container, API-data volumes are read-only, a configMap
// update reaches a running container without a restart (but not through subPath, as
// upstream), and teardown leaves nothing mounted.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import { VolumeManager } from '../../../pkg/kubelet/volumes/volume-manager.js';
import { canMountTmpfs } from '../../../pkg/kubelet/volumes/tmpfs.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { ensureImage, requireDocker } from '../../harness/docker.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';

const BUSYBOX = 'busybox:1.35';
const run = `${process.pid}-${Date.now().toString(36)}`;

t.test('volumes inside real containers', async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage(BUSYBOX);
  const etcd = await testEtcd(t);
  const api = await startInProcessApiServer(etcd, uniquePrefix('kubelet-volumes'));
  const client = new RestClient({ server: api.url });
  const rt = new DockerRuntime({ nodeName: `e2e-volumes-${run}` });
  const rootDir = await mkdtemp(join(tmpdir(), 'kubelet-volumes-'));
  const hostDir = join(rootDir, 'host-data');
  const vm = new VolumeManager({ rootDir, client, log: pino({ level: 'silent' }), nodeAllocatable: { cpu: '2', memory: '4Gi' } });
  t.teardown(async () => {
    for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.id);
    await rt.close();
    await vm.teardownPod(`uid-${run}`).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
    await client.close();
    await api.close();
  });

  await client.resource('configmaps').create('default', { metadata: { name: 'app-config' }, data: { greeting: 'hello', 'app.conf': 'x=1' } });
  await client.resource('secrets').create('default', { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } });

  const pod: Pod = {
    metadata: { name: 'vols', namespace: 'default', uid: `uid-${run}`, labels: { app: 'vols', tier: 'e2e' } },
    spec: {
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
        { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'cpu_limit', resourceFieldRef: { containerName: 'reader', resource: 'limits.cpu' } },
        ] } },
        { name: 'proj', projected: { sources: [
          { configMap: { name: 'app-config', items: [{ key: 'greeting', path: 'config/greeting' }] } },
          { secret: { name: 'creds' } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
        ] } },
      ],
      containers: [
        { name: 'writer', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'host', mountPath: '/host' }] },
        {
          name: 'reader',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'mem', mountPath: '/mem' },
            { name: 'host', mountPath: '/host', readOnly: true },
            { name: 'cfg', mountPath: '/cfg' },
            { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
            { name: 'sec', mountPath: '/sec' },
            { name: 'info', mountPath: '/info' },
            { name: 'proj', mountPath: '/proj' },
          ],
        },
      ],
    },
  };

  const paths = await vm.setupPod(pod);
  const sandboxId = await rt.runSandbox({ metadata: { name: 'vols', namespace: 'default', uid: `uid-${run}`, attempt: 0 } });
  const ids: Record<string, string> = {};
  for (const c of pod.spec!.containers) {
    ids[c.name] = await rt.createContainer(sandboxId, {
      metadata: { name: c.name, attempt: 0 }, image: BUSYBOX, command: ['sleep', '3600'],
      mounts: vm.mountsFor(pod, c, paths),
    });
    await rt.startContainer(ids[c.name]!);
  }
  const sh = async (container: string, script: string) => {
    const r = await rt.exec(ids[container]!, ['sh', '-c', script], { timeoutMs: 10_000 });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  await t.test('emptyDir is shared between containers; hostPath reaches the host', async (t) => {
    t.equal((await sh('writer', 'echo from-writer > /scratch/note && echo on-host > /host/file')).code, 0);
    t.equal((await sh('reader', 'cat /scratch/note')).out, 'from-writer\n');
    t.equal(await readFile(join(hostDir, 'file'), 'utf8'), 'on-host\n');
    t.equal((await sh('reader', 'cat /host/file')).out, 'on-host\n');
    t.not((await sh('reader', 'touch /host/nope')).code, 0, 'readOnly volumeMount');
  });

  await t.test('medium Memory is a tmpfs inside the container when we can mount', async (t) => {
    const mounts = (await sh('reader', 'grep " /mem " /proc/mounts')).out;
    if (canMountTmpfs()) t.match(mounts, /^tmpfs \/mem tmpfs .*size=8192k/);
    else t.match(mounts, / \/mem /, 'a plain directory without root');
    t.equal((await sh('reader', 'echo x > /mem/f && cat /mem/f')).out, 'x\n');
  });

  await t.test('configMap, secret, downwardAPI and projected files, read-only', async (t) => {
    t.equal((await sh('reader', 'cat /cfg/greeting')).out, 'hello');
    t.equal((await sh('reader', 'cat /etc/app.conf')).out, 'x=1');
    t.equal((await sh('reader', 'cat /sec/password')).out, 's3cret');
    t.equal((await sh('reader', 'stat -L -c %a /sec/password')).out.trim(), '400');
    t.equal((await sh('reader', 'stat -L -c %a /cfg/greeting')).out.trim(), '644');
    t.match((await sh('reader', 'ls -a /cfg')).out, /\.\.data\n/);
    t.equal((await sh('reader', 'cat /info/labels')).out, 'app="vols"\ntier="e2e"');
    t.equal((await sh('reader', 'cat /info/name')).out, 'vols');
    t.equal((await sh('reader', 'cat /info/cpu_limit')).out, '2', 'no limit: node allocatable');
    t.equal((await sh('reader', 'cat /proj/config/greeting')).out, 'hello');
    t.equal((await sh('reader', 'cat /proj/password')).out, 's3cret');
    t.equal((await sh('reader', 'cat /proj/namespace')).out, 'default');
    t.match((await sh('reader', 'cat /proj/token')).out, /^[\w-]+\.[\w-]+\.$/);
    const w = await sh('reader', 'echo x > /cfg/new');
    t.not(w.code, 0);
    t.match(w.err, /Read-only file system/);
  });

  await t.test('a configMap update reaches the running container without a restart', async (t) => {
    const before = await rt.containerStatus(ids['reader']!);
    await client.resource('configmaps').patch('default', 'app-config', 'merge', { data: { greeting: 'hello again', 'app.conf': 'x=2' } });
    await vm.refresh(pod);
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'hello again'; i++) {
      seen = (await sh('reader', 'cat /cfg/greeting')).out;
      if (seen !== 'hello again') await sleep(100);
    }
    t.equal(seen, 'hello again');
    t.equal((await sh('reader', 'cat /proj/config/greeting')).out, 'hello again', 'projected too');
    t.equal((await sh('reader', 'cat /etc/app.conf')).out, 'x=1', 'a subPath mount keeps the old file, as upstream');
    const after = await rt.containerStatus(ids['reader']!);
    t.equal(after.state, 'running');
    t.equal(after.startedAt, before.startedAt, 'same container instance');
  });

  await t.test('a missing configMap fails setup with the kubelet message', async (t) => {
    const broken: Pod = { ...pod, metadata: { ...pod.metadata, uid: `uid-broken-${run}` }, spec: { containers: [], volumes: [{ name: 'x', configMap: { name: 'absent' } }] } };
    await t.rejects(vm.setupPod(broken), { name: 'VolumeConfigError', message: 'configmap "absent" not found', volumeName: 'x' });
    await vm.teardownPod(`uid-broken-${run}`);
  });

  await t.test('teardown unmounts and removes the pod directory, not hostPath data', async (t) => {
    await rt.removeSandbox(sandboxId);
    await vm.teardownPod(`uid-${run}`);
    t.notOk(existsSync(join(rootDir, 'pods', `uid-${run}`)));
    t.notOk((await readFile('/proc/self/mountinfo', 'utf8')).includes(join(rootDir, 'pods')));
    t.ok(existsSync(join(hostDir, 'file')));
  });
});
