import t from 'tap';
import { FakeRuntime } from '../../../../pkg/kubelet/runtime/fake-runtime.js';
import { ContainerNotFoundError, ImageNotFoundError, ImagePullError } from '../../../../pkg/kubelet/runtime/runtime-errors.js';

const pod = { name: 'p', namespace: 'ns', uid: 'u1', attempt: 0 };

t.test('a pod runs through sandbox, pull, create, start, stop, remove', async (t) => {
  const rt = new FakeRuntime({ nodeName: 'n1', canPull: (ref) => !ref.startsWith('missing'), logLine: 'hello' });
  const sb = await rt.runSandbox({ metadata: pod, labels: { app: 'x' } });
  const status = await rt.sandboxStatus(sb);
  t.equal(status.state, 'ready');
  t.match(status.ip, /^10\.244\./);
  await t.rejects(rt.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: 'busybox:1.35' }), ImageNotFoundError);
  await rt.pullImage('busybox:1.35');
  await t.rejects(rt.pullImage('missing:1'), ImagePullError);
  const c = await rt.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: 'busybox:1.35' });
  t.equal((await rt.containerStatus(c)).state, 'created');
  await rt.startContainer(c);
  t.equal((await rt.containerStatus(c)).state, 'running');
  t.same((await rt.exec(c, ['true'])).exitCode, 0);
  const lines: string[] = [];
  for await (const b of rt.logs(c)) lines.push(b.toString());
  t.same(lines, ['hello\n']);
  t.same((await rt.listContainers({ podUid: 'u1', state: 'running' })).map((x) => x.id), [c]);
  t.same((await rt.listSandboxes({ labelSelector: { app: 'x' } })).map((x) => x.id), [sb]);
  await rt.stopContainer(c, 30);
  t.match(await rt.containerStatus(c), { state: 'exited', exitCode: 0, reason: 'Completed' });
  await rt.removeSandbox(sb);
  await t.rejects(rt.containerStatus(c), ContainerNotFoundError);
  t.same(await rt.listSandboxes(), []);
});

t.test('exitContainer simulates crashes and OOM kills', async (t) => {
  const rt = new FakeRuntime({ nodeName: 'n1', images: ['img'] });
  const sb = await rt.runSandbox({ metadata: pod });
  const c = await rt.createContainer(sb, { metadata: { name: 'c', attempt: 1 }, image: 'img' });
  await rt.startContainer(c);
  rt.exitContainer(c, 137, 'OOMKilled');
  t.match(await rt.containerStatus(c), { state: 'exited', exitCode: 137, reason: 'OOMKilled', restartCount: 1 });
});

t.test('hundreds of fake nodes in one process keep separate state and unique pod IPs', async (t) => {
  const nodes = Array.from({ length: 300 }, (_, i) => new FakeRuntime({ nodeName: `n${i}` }));
  const ids = await Promise.all(nodes.map((n, i) => n.runSandbox({ metadata: { ...pod, uid: `u${i}` } })));
  const ips = await Promise.all(nodes.map(async (n, i) => (await n.sandboxStatus(ids[i] ?? '')).ip));
  t.equal(new Set(ips).size, 300);
  t.equal((await nodes[0]?.listSandboxes())?.length, 1);
});
