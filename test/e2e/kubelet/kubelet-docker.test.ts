// The kubelet command against real Docker, etcd and kube-apiserver: node registration and
// lease, pods Running with an IP that answers, init order, crash loops, restart policies,
// OOM, image pull failures, env sources, cgroup limits, graceful deletion, and surviving
// SIGKILL of itself (adoption) and of the apiserver.
import t from 'tap';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { requireDocker } from '../../harness/docker.js';
import { podUntil, startKubeletOnDocker, until } from './kubelet-harness.js';

const NS = 'default';
const run = `${process.pid}-${Date.now().toString(36)}`;
const nodeName = `e2e-kubelet-${run}`;

function pod(name: string, containers: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}, initContainers?: Container[]): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name } },
    spec: { nodeName, terminationGracePeriodSeconds: 2, containers, ...(initContainers ? { initContainers } : {}), ...extra },
  };
}
const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox:1.35', command: ['sh', '-c', script], ...extra });

if (await requireDocker(t)) await main();

async function main(): Promise<void> {
  const { api, client, kubelet, runtime, port } = await startKubeletOnDocker(t, nodeName, [
    '--node-labels', 'tier=e2e,zone=a', '--register-with-taints', 'dedicated=e2e:PreferNoSchedule',
    '--node-status-update-frequency', '1s', '--node-lease-renew-interval', '1s',
  ]);
  const pods = client.resource('pods');

  await t.test('registers a Ready node with its capacity, nodeInfo, labels, taints and a lease', async (t) => {
    const node = await until('node Ready', async () => {
      const n = await client.resource('nodes').get('', nodeName);
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    });
    t.match(node.metadata?.labels, { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', tier: 'e2e', zone: 'a' });
    t.same(node.spec?.taints, [{ key: 'dedicated', value: 'e2e', effect: 'PreferNoSchedule' }]);
    t.match(node.status?.nodeInfo, { kubeletVersion: 'v1.32.0-tskube', containerRuntimeVersion: /^docker:\/\/20\.10\./, operatingSystem: 'linux', architecture: 'amd64' });
    t.same(node.status?.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: nodeName }]);
    t.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, port);
    t.equal(node.status?.capacity?.['pods'], '110');
    t.match(node.status?.conditions?.find((c) => c.type === 'Ready'), { reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    t.ok(node.status?.images?.some((i) => i.names?.includes('busybox:1.35')), 'status.images lists the node\'s images');
    const lease = await until('node lease', () => client.resource('leases').get('kube-node-lease', nodeName), 10_000);
    t.equal(lease.spec?.holderIdentity, nodeName);
    t.equal(lease.spec?.leaseDurationSeconds, 40);
    const renewed = await until('lease renewal', async () => {
      const l = await client.resource('leases').get('kube-node-lease', nodeName);
      return l.spec?.renewTime !== lease.spec?.renewTime ? l : undefined;
    }, 10_000);
    t.ok(renewed, 'the lease is renewed');
  });

  // Everything below runs side by side: create all the pods now, check each in turn.
  let created: Pod[] = [];
  let started = 0;
  await t.test('creates the pods', async (t) => {
  await client.resource('configmaps').create(NS, { metadata: { name: 'cfg' }, data: { color: 'blue' } });
  await client.resource('secrets').create(NS, { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } });
  const webScript = [
    'mkdir -p /tmp/www',
    'env > /tmp/www/env',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /tmp/www/mem',
    'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us > /tmp/www/cpu',
    'exec httpd -f -p 8080 -h /tmp/www',
  ].join(' && ');
  created = await Promise.all([
    pods.create(NS, pod('web', [sh('httpd', webScript, {
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'COMBINED', value: '$(GREETING)-world' },
        { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      ],
      resources: { limits: { memory: '64Mi', cpu: '500m' } },
    })], {}, [sh('init-a', 'sleep 1'), sh('init-b', 'sleep 1')])),
    pods.create(NS, pod('crash', [sh('c', 'exit 1')])),
    pods.create(NS, pod('never-fail', [sh('c', 'exit 3')], { restartPolicy: 'Never' })),
    pods.create(NS, pod('never-ok', [sh('c', 'exit 0')], { restartPolicy: 'Never' })),
    pods.create(NS, pod('oom', [{ name: 'hog', image: 'busybox:1.35', command: ['awk', 'BEGIN { s = "x"; while (1) s = s s }'], resources: { limits: { memory: '24Mi' } } }], { restartPolicy: 'Never' })),
    pods.create(NS, pod('badimage', [{ name: 'c', image: '127.0.0.1:1/tskube-missing:1' }])),
    pods.create(NS, pod('nocm', [sh('c', 'sleep 3600', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }] })])),
    pods.create(NS, pod('nomount', [sh('c', 'sleep 3600', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] })], { volumes: [{ name: 'cfg', configMap: { name: 'absent' } }] })),
    pods.create(NS, pod('graceful', [sh('c', 'trap "" TERM; while true; do sleep 1; done')], { terminationGracePeriodSeconds: 3 })),
  ]);
  started = Date.now();
  t.equal(created.length, 9);
  });

  await t.test('a pod goes Running with a pod IP, and its httpd answers there', async (t) => {
    const web = await podUntil(client, NS, 'web', 'Running and Ready', (p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true);
    const ip = web.status?.podIP ?? '';
    t.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    t.same(web.status?.podIPs, [{ ip }]);
    t.equal(web.status?.hostIP, '127.0.0.1');
    t.equal(web.status?.qosClass, 'Burstable');
    t.ok(web.status?.startTime);
    t.same(web.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(),
      ['ContainersReady=True', 'Initialized=True', 'PodReadyToStartContainers=True', 'PodScheduled=True', 'Ready=True']);
    const cs = web.status?.containerStatuses?.[0];
    t.match(cs, { name: 'httpd', ready: true, started: true, restartCount: 0, image: 'busybox:1.35', imageID: /^docker(-pullable)?:\/\//, containerID: /^docker:\/\/[0-9a-f]{64}$/ });
    t.ok(cs?.state?.running?.startedAt);
    const env = await until('httpd to answer', async () => {
      const res = await fetch(`http://${ip}:8080/env`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? res.text() : undefined;
    }, 10_000);
    t.match(env, /^GREETING=hello$/m);
    t.match(env, /^COMBINED=hello-world$/m, '$(VAR) expansion');
    t.match(env, /^MY_POD=web$/m, 'fieldRef');
    t.match(env, new RegExp(`^MY_NODE=${nodeName}$`, 'm'));
    t.match(env, /^COLOR=blue$/m, 'configMapKeyRef');
    t.match(env, /^PASSWORD=s3cret$/m, 'secretKeyRef');
    t.equal((await (await fetch(`http://${ip}:8080/mem`)).text()).trim(), String(64 * 1024 * 1024), 'memory limit in the cgroup');
    t.equal((await (await fetch(`http://${ip}:8080/cpu`)).text()).trim(), '50000', 'cpu limit as a CFS quota');
  });

  await t.test('init containers ran in order, each after the previous one exited 0, before the app', async (t) => {
    const web = await pods.get(NS, 'web');
    const [a, b] = web.status?.initContainerStatuses ?? [];
    t.match(a, { name: 'init-a', ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    t.match(b, { name: 'init-b', ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    const ts = (s: string | undefined) => Date.parse(s ?? '');
    t.ok(ts(a?.state?.terminated?.finishedAt) <= ts(b?.state?.terminated?.startedAt), 'init-b started after init-a finished');
    t.ok(ts(b?.state?.terminated?.finishedAt) <= ts(web.status?.containerStatuses?.[0]?.state?.running?.startedAt), 'the app started after init-b finished');
  });

  await t.test('restartPolicy Never: Failed with the exit code, or Succeeded', async (t) => {
    const failed = await podUntil(client, NS, 'never-fail', 'Failed', (p) => p.status?.phase === 'Failed');
    t.match(failed.status?.containerStatuses?.[0]?.state?.terminated, { exitCode: 3, reason: 'Error' });
    t.match(failed.status?.conditions?.find((c) => c.type === 'Ready'), { status: 'False' });
    const ok = await podUntil(client, NS, 'never-ok', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    t.match(ok.status?.containerStatuses?.[0]?.state?.terminated, { exitCode: 0, reason: 'Completed' });
    t.match(ok.status?.conditions?.find((c) => c.type === 'Ready'), { status: 'False', reason: 'PodCompleted' });
    t.equal(ok.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  await t.test('exceeding the memory limit is OOMKilled', async (t) => {
    const oom = await podUntil(client, NS, 'oom', 'Failed', (p) => p.status?.phase === 'Failed');
    t.match(oom.status?.containerStatuses?.[0]?.state?.terminated, { exitCode: 137, reason: 'OOMKilled' });
  });

  await t.test('a missing configMap key is CreateContainerConfigError', async (t) => {
    const p = await podUntil(client, NS, 'nocm', 'CreateContainerConfigError', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    t.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.message, 'configmap "absent" not found');
    t.equal(p.status?.phase, 'Pending');
  });

  await t.test('a missing configMap volume: FailedMount with the upstream message, still ContainerCreating', async (t) => {
    const ev = await until('FailedMount', async () => (await events('nomount')).find((e) => e.reason === 'FailedMount'));
    t.equal(ev.message, 'MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found');
    t.equal(ev.type, 'Warning');
    const p = await podUntil(client, NS, 'nomount', 'a container status', (p) => (p.status?.containerStatuses?.length ?? 0) > 0);
    t.equal(p.status?.phase, 'Pending');
    t.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  });

  await t.test('container events name the container in involvedObject.fieldPath', async (t) => {
    const started = await until('three Started events', async () => {
      const list = (await events('web')).filter((e) => e.reason === 'Started');
      return list.length >= 3 ? list.map((e) => `${e.involvedObject.fieldPath ?? ''} ${e.message ?? ''}`).sort() : undefined;
    });
    t.same(started, [
      'spec.containers{httpd} Started container httpd',
      'spec.initContainers{init-a} Started container init-a',
      'spec.initContainers{init-b} Started container init-b',
    ]);
  });

  await t.test('an image that is absent and cannot be pulled: ErrImagePull, then ImagePullBackOff', async (t) => {
    const reasons = new Set<string>();
    await until('ImagePullBackOff', async () => {
      const p = await pods.get(NS, 'badimage');
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason) reasons.add(w.reason);
      return w?.reason === 'ImagePullBackOff' ? p : undefined;
    }, 30_000, 100);
    t.ok(reasons.has('ErrImagePull') || (await events('badimage')).some((e) => e.message === 'Error: ErrImagePull'), 'ErrImagePull first');
    const evs = await events('badimage');
    t.ok(evs.some((e) => e.reason === 'Pulling' && e.message === 'Pulling image "127.0.0.1:1/tskube-missing:1"'));
    t.ok(evs.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "127.0.0.1:1/tskube-missing:1"'));
    t.equal((await pods.get(NS, 'badimage')).status?.phase, 'Pending');
  });

  await t.test('a crashing container goes CrashLoopBackOff with a growing restartCount and back-off', async (t) => {
    const first = await podUntil(client, NS, 'crash', 'CrashLoopBackOff', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    const cs = first.status?.containerStatuses?.[0];
    t.ok((cs?.restartCount ?? 0) >= 1);
    t.match(cs?.state?.waiting?.message, new RegExp(`^back-off (10|20)s restarting failed container=c pod=crash_default\\(${first.metadata?.uid ?? ''}\\)$`));
    t.match(cs?.lastState?.terminated, { exitCode: 1, reason: 'Error' });
    t.equal(first.status?.phase, 'Running');
    const later = await podUntil(client, NS, 'crash', 'a longer back-off', (p) => /^back-off 20s/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.message ?? ''), 40_000);
    t.ok((later.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'restartCount grew');
    const evs = await events('crash');
    t.ok(evs.some((e) => e.reason === 'BackOff' && e.message === `Back-off restarting failed container c in pod crash_default(${first.metadata?.uid ?? ''})`));
    t.ok(evs.some((e) => e.reason === 'Created' && e.message === 'Created container c'));
    t.ok(evs.some((e) => e.reason === 'Started' && e.message === 'Started container c'));
  });

  await t.test('graceful deletion: SIGTERM ignored, killed after the 3 s grace period, then the pod is gone', async (t) => {
    await podUntil(client, NS, 'graceful', 'Running', (p) => p.status?.phase === 'Running');
    const begin = Date.now();
    await pods.delete(NS, 'graceful');
    const during = await pods.get(NS, 'graceful');
    t.ok(during.metadata?.deletionTimestamp, 'the pod stays while the kubelet stops it');
    await until('graceful pod gone', async () => {
      try { await pods.get(NS, 'graceful'); return undefined; } catch { return true; }
    }, 20_000, 100);
    const elapsed = (Date.now() - begin) / 1000;
    // The 20 s wait above tells the 3 s grace apart from the 30 s default.
    t.ok(elapsed >= 2.5, `deleted after ${elapsed.toFixed(1)}s (grace 3 s)`);
    const uid = created[7]?.metadata?.uid ?? '';
    t.same(await runtime.listContainers({ podUid: uid }), [], 'its containers are removed');
    t.ok((await events('graceful')).some((e) => e.reason === 'Killing' && e.message === 'Stopping container c'));
  });

  await t.test('kubelet SIGKILL and restart adopts running containers; pods deleted meanwhile are cleaned up', async (t) => {
    const victim = await pods.create(NS, pod('victim', [sh('c', 'sleep 3600')], { terminationGracePeriodSeconds: 0 }));
    await podUntil(client, NS, 'victim', 'Running', (p) => p.status?.phase === 'Running');
    const before = await pods.get(NS, 'web');
    const idsBefore = (await runtime.listContainers({ podUid: before.metadata?.uid ?? '' })).map((c) => c.id).sort();
    await kubelet.kill('SIGKILL');
    await pods.delete(NS, 'victim', { gracePeriodSeconds: 0 });
    await kubelet.restart();
    const victimUid = victim.metadata?.uid ?? '';
    await until('victim containers removed', async () => ((await runtime.listContainers({ podUid: victimUid })).length === 0 && (await runtime.listSandboxes({ podUid: victimUid })).length === 0 ? true : undefined), 20_000);
    // Give the new kubelet a few sync rounds to do anything it (wrongly) wanted to.
    await until('node heartbeat from the new kubelet', async () => {
      const lease = await until('node lease', () => client.resource('leases').get('kube-node-lease', nodeName), 10_000);
      return Date.now() - Date.parse(lease.spec?.renewTime ?? '') < 1500 ? lease : undefined;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await pods.get(NS, 'web');
    const idsAfter = (await runtime.listContainers({ podUid: after.metadata?.uid ?? '' })).map((c) => c.id).sort();
    t.same(idsAfter, idsBefore, 'the same containers, none recreated');
    t.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
    t.equal(after.status?.containerStatuses?.[0]?.containerID, before.status?.containerStatuses?.[0]?.containerID);
    t.equal(after.status?.phase, 'Running');
    t.equal(after.status?.containerStatuses?.[0]?.ready, true, 'an adopted container is ready again (its probes resume)');
    t.equal(after.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  await t.test('after an apiserver SIGKILL the kubelet resumes and runs new pods', async (t) => {
    await api.restart();
    await pods.create(NS, pod('after-restart', [sh('c', 'sleep 3600')]));
    const p = await podUntil(client, NS, 'after-restart', 'Running', (p) => p.status?.phase === 'Running', 40_000);
    t.ok(p.status?.podIP);
  });

  t.comment(`pods checked ${((Date.now() - started) / 1000).toFixed(1)}s after creation`);

  async function events(podName: string) {
    return (await client.resource('events').list(NS, { fieldSelector: `involvedObject.name=${podName}` })).items;
  }
}
