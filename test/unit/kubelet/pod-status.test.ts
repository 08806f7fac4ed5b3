// generateAPIPodStatus: phases as getPhase computes them, conditions with upstream reasons, waiting reasons.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { generateAPIPodStatus, type WaitingReason } from '../../../pkg/kubelet/pod-status.js';
import type { ObservedPod } from '../../../pkg/kubelet/plan.js';
import type { PodSandboxStatus, RuntimeContainerStatus } from '../../../pkg/kubelet/runtime/runtime.js';

const NOW = new Date('2024-01-01T00:00:10Z');
const sandbox: PodSandboxStatus = {
  id: 'sb', metadata: { name: 'p', namespace: 'ns', uid: 'u1', attempt: 0 }, state: 'ready', createdAt: '2024-01-01T00:00:00Z',
  labels: {}, annotations: {}, hostNetwork: false, ip: '172.19.0.5',
};

function pod(policy: 'Always' | 'OnFailure' | 'Never', containers = ['app'], inits: string[] = []): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: {
      restartPolicy: policy, containers: containers.map((name) => ({ name, image: 'busybox:1.35' })),
      ...(inits.length ? { initContainers: inits.map((name) => ({ name, image: 'busybox:1.35' })) } : {}),
    },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}

let seq = 0;
function c(name: string, state: RuntimeContainerStatus['state'], exitCode?: number, attempt = 0, reason?: string): RuntimeContainerStatus {
  return {
    id: `id${seq++}`, sandboxId: 'sb', metadata: { name, attempt }, pod: { name: 'p', namespace: 'ns', uid: 'u1' }, state,
    createdAt: `2024-01-01T00:00:0${attempt}Z`, startedAt: `2024-01-01T00:00:0${attempt}.123456789Z`, image: 'busybox:1.35', imageId: 'sha256:abc',
    imageRef: 'docker://sha256:abc', restartCount: attempt, labels: {}, annotations: {},
    ...(state === 'exited' ? { exitCode: exitCode ?? 0, finishedAt: `2024-01-01T00:00:0${attempt + 1}Z`, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error') } : {}),
  };
}

function status(p: Pod, containers: RuntimeContainerStatus[], reasons?: Map<string, WaitingReason>, sandboxes = [sandbox]) {
  const observed: ObservedPod = { sandboxes, containers };
  return generateAPIPodStatus({ pod: p, observed, hostIP: '127.0.0.1', now: NOW, runtimeName: 'docker', ...(reasons ? { reasons } : {}) });
}

const cond = (s: ReturnType<typeof status>, type: string) => s.conditions?.find((c) => c.type === type);

t.test('phases', async (t) => {
  const table: [string, Pod, RuntimeContainerStatus[], string][] = [
    ['nothing started yet', pod('Always'), [], 'Pending'],
    ['running', pod('Always'), [c('app', 'running')], 'Running'],
    ['Always + exited stays Running', pod('Always'), [c('app', 'exited', 1)], 'Running'],
    ['Never + exit 0 is Succeeded', pod('Never'), [c('app', 'exited', 0)], 'Succeeded'],
    ['Never + exit 3 is Failed', pod('Never'), [c('app', 'exited', 3)], 'Failed'],
    ['OnFailure + exit 0 is Succeeded', pod('OnFailure'), [c('app', 'exited', 0)], 'Succeeded'],
    ['OnFailure + exit 1 is Running (it restarts)', pod('OnFailure'), [c('app', 'exited', 1)], 'Running'],
    ['one running, one exited (Never) is Running', pod('Never', ['a', 'b']), [c('a', 'running'), c('b', 'exited', 1)], 'Running'],
    ['init running is Pending', pod('Always', ['app'], ['i']), [c('i', 'running')], 'Pending'],
    ['init failed under Never is Failed', pod('Never', ['app'], ['i']), [c('i', 'exited', 1)], 'Failed'],
  ];
  for (const [name, p, cs, phase] of table) t.equal(status(p, cs).phase, phase, name);
});

t.test('a running ready pod', async (t) => {
  const running = c('app', 'running');
  const s = status(pod('Always'), [running]);
  t.same(s.conditions?.map((x) => [x.type, x.status]), [
    ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
  ], 'conditions in the order the kubelet reports them');
  t.equal(s.podIP, '172.19.0.5');
  t.same(s.podIPs, [{ ip: '172.19.0.5' }]);
  t.equal(s.hostIP, '127.0.0.1');
  t.equal(s.qosClass, 'BestEffort');
  t.equal(s.startTime, '2024-01-01T00:00:10Z');
  t.same(s.containerStatuses?.[0], {
    name: 'app', state: { running: { startedAt: '2024-01-01T00:00:00Z' } }, lastState: {}, ready: true, restartCount: 0,
    image: 'busybox:1.35', imageID: 'docker://sha256:abc', started: true, containerID: `docker://${running.id}`,
  });
});

t.test('not-ready reasons and messages', async (t) => {
  const s = status(pod('Always', ['a', 'b']), [c('a', 'running')]);
  t.match(cond(s, 'ContainersReady'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
  t.match(cond(s, 'Ready'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
  t.same(s.containerStatuses?.[1]?.state, { waiting: { reason: 'ContainerCreating' } });
  const done = status(pod('Never'), [c('app', 'exited', 0)]);
  t.match(cond(done, 'Ready'), { status: 'False', reason: 'PodCompleted' });
  t.match(cond(done, 'ContainersReady'), { status: 'False', reason: 'PodCompleted' });
});

t.test('init containers: PodInitializing and ContainersNotInitialized', async (t) => {
  const s = status(pod('Always', ['app'], ['i1', 'i2']), [c('i1', 'exited', 0)]);
  t.match(cond(s, 'Initialized'), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i2]' });
  t.same(s.initContainerStatuses?.map((x) => x.ready), [true, false]);
  t.same(s.initContainerStatuses?.[1]?.state, { waiting: { reason: 'PodInitializing' } });
  t.same(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
});

t.test('the reason cache turns exited or absent containers into waiting ones', async (t) => {
  const crashed = c('app', 'exited', 1, 1);
  const previous = c('app', 'exited', 1, 0);
  const message = 'back-off 10s restarting failed container=app pod=p_ns(u1)';
  const s = status(pod('Always'), [crashed, previous], new Map([['app', { reason: 'CrashLoopBackOff', message }]]));
  const cs = s.containerStatuses?.[0];
  t.same(cs?.state, { waiting: { reason: 'CrashLoopBackOff', message } });
  t.match(cs?.lastState, { terminated: { exitCode: 1, reason: 'Error', containerID: `docker://${crashed.id}` } });
  t.equal(cs?.restartCount, 1);
  t.equal(s.phase, 'Running');
  const pull = status(pod('Always'), [], new Map([['app', { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' }]]));
  t.same(pull.containerStatuses?.[0]?.state, { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } });
  t.equal(pull.phase, 'Pending');
  const oom = status(pod('Never'), [c('app', 'exited', 137, 0, 'OOMKilled')]);
  t.match(oom.containerStatuses?.[0]?.state, { terminated: { reason: 'OOMKilled', exitCode: 137 } });
  t.equal(oom.phase, 'Failed');
});

t.test('transition times carry over while a condition keeps its status; terminal phases stick', async (t) => {
  const base = pod('Always');
  const p: Pod = { ...base, status: { ...base.status, conditions: [...(base.status?.conditions ?? []), { type: 'Ready', status: 'True', lastTransitionTime: '2023-12-31T00:00:00Z' }] } };
  t.equal(cond(status(p, [c('app', 'running')]), 'Ready')?.lastTransitionTime, '2023-12-31T00:00:00Z');
  t.equal(cond(status(p, []), 'Ready')?.lastTransitionTime, '2024-01-01T00:00:10Z');
  const never = pod('Never');
  const failed: Pod = { ...never, status: { ...never.status, phase: 'Failed' } };
  t.equal(status(failed, [c('app', 'exited', 0)]).phase, 'Failed');
});

t.test('the status the kubelet computed last is the previous one, even before the pod carries it back', async (t) => {
  const p = pod('Never');
  delete p.status?.conditions;
  const running = c('app', 'running');
  const first = status(p, [running]);
  const later = new Date(NOW.getTime() + 60_000);
  // The pod object is still the one from before our write: startTime, transition times and
  // our own PodScheduled come from the previous status, not from now.
  const again = generateAPIPodStatus({ pod: p, previous: first, observed: { sandboxes: [sandbox], containers: [running] }, hostIP: '127.0.0.1', now: later, runtimeName: 'docker' });
  t.same(again, first);
  // A terminal phase we reported stays, whatever the pod object says yet.
  const failed = { ...first, phase: 'Failed' };
  const after = generateAPIPodStatus({ pod: p, previous: failed, observed: { sandboxes: [sandbox], containers: [running] }, hostIP: '127.0.0.1', now: later, runtimeName: 'docker' });
  t.equal(after.phase, 'Failed');
  // Conditions other components own still come from the pod.
  const gated: Pod = { ...p, status: { ...p.status, conditions: [{ type: 'example.com/gate', status: 'True' }] } };
  const withGate = generateAPIPodStatus({ pod: gated, previous: first, observed: { sandboxes: [sandbox], containers: [running] }, hostIP: '127.0.0.1', now: later, runtimeName: 'docker' });
  t.ok(withGate.conditions?.some((x) => x.type === 'example.com/gate' && x.status === 'True'));
});

// ---- sidecars (init containers with restartPolicy Always) ----

function withSidecars(policy: 'Always' | 'OnFailure' | 'Never', inits: { name: string; sidecar?: boolean }[]): Pod {
  const p = pod(policy);
  p.spec!.initContainers = inits.map((i) => ({ name: i.name, image: 'busybox:1.35', ...(i.sidecar ? { restartPolicy: 'Always' } : {}) }));
  return p;
}

function probed(p: Pod, containers: RuntimeContainerStatus[], probes: { ready?: string[]; started?: string[] }) {
  return generateAPIPodStatus({
    pod: p, observed: { sandboxes: [sandbox], containers }, hostIP: '127.0.0.1', now: NOW, runtimeName: 'docker',
    isReady: (name) => probes.ready?.includes(name) ?? true,
    isStarted: (name) => probes.started?.includes(name) ?? true,
  });
}

t.test('sidecar phases: they run beside the app, and a stopped one does not count', async (t) => {
  const table: [string, Pod, RuntimeContainerStatus[], string][] = [
    ['sidecar running, app not yet started: Pending', withSidecars('Always', [{ name: 's', sidecar: true }]), [c('s', 'running')], 'Pending'],
    ['sidecar and app running: Running', withSidecars('Always', [{ name: 's', sidecar: true }]), [c('s', 'running'), c('app', 'running')], 'Running'],
    ['Never: app done, sidecar still running: Running', withSidecars('Never', [{ name: 's', sidecar: true }]), [c('s', 'running'), c('app', 'exited', 0)], 'Running'],
    ['Never: app done, sidecar stopped (137): Succeeded', withSidecars('Never', [{ name: 's', sidecar: true }]), [c('s', 'exited', 137), c('app', 'exited', 0)], 'Succeeded'],
    ['Never: app failed, sidecar stopped: Failed', withSidecars('Never', [{ name: 's', sidecar: true }]), [c('s', 'exited', 0), c('app', 'exited', 2)], 'Failed'],
    ['OnFailure: app done, sidecar stopped: Succeeded', withSidecars('OnFailure', [{ name: 's', sidecar: true }]), [c('s', 'exited', 143), c('app', 'exited', 0)], 'Succeeded'],
    ['a regular init container after the sidecar still runs: Pending', withSidecars('Always', [{ name: 's', sidecar: true }, { name: 'i' }]), [c('s', 'running'), c('i', 'running')], 'Pending'],
  ];
  for (const [name, p, cs, phase] of table) t.equal(status(p, cs).phase, phase, name);
  t.equal(probed(withSidecars('Always', [{ name: 's', sidecar: true }]), [c('s', 'running')], { started: [] }).phase, 'Pending', 'a sidecar not yet started keeps the pod initializing');
});

t.test('a sidecar appears in initContainerStatuses with started and ready from its probes', async (t) => {
  const p = withSidecars('Always', [{ name: 'init' }, { name: 's', sidecar: true }]);
  const cs = [c('init', 'exited', 0), c('s', 'running'), c('app', 'running')];
  let s = probed(p, cs, { ready: ['app'] });
  t.match(s.initContainerStatuses, [
    { name: 'init', ready: true, started: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 's', ready: false, started: true, state: { running: {} } },
  ]);
  t.match(cond(s, 'ContainersReady'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [s]' }, 'an unready sidecar keeps the pod unready');
  t.match(cond(s, 'Ready'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [s]' });
  t.match(cond(s, 'Initialized'), { status: 'True' });

  s = probed(p, cs, { ready: [] });
  t.match(cond(s, 'ContainersReady'), { message: 'containers with unready status: [s app]' }, 'sidecars are listed before the app containers');

  s = probed(p, cs, {});
  t.match(s.initContainerStatuses?.[1], { name: 's', ready: true, started: true });
  t.match(cond(s, 'Ready'), { status: 'True' });
  t.match(cond(s, 'ContainersReady'), { status: 'True' });
});

t.test('Initialized: a sidecar counts once started; a restarting sidecar does not un-initialize a pod whose app ran', async (t) => {
  const p = withSidecars('Always', [{ name: 's', sidecar: true }]);
  let s = probed(p, [c('s', 'running')], { started: [] });
  t.match(cond(s, 'Initialized'), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [s]' });
  s = probed(p, [c('s', 'running')], {});
  t.match(cond(s, 'Initialized'), { status: 'True' });
  s = probed(p, [c('s', 'exited', 1), c('app', 'running')], {});
  t.match(cond(s, 'Initialized'), { status: 'True' });
  t.match(s.initContainerStatuses?.[0], { name: 's', ready: false, started: false, state: { terminated: { exitCode: 1 } } });
  t.equal(s.phase, 'Running');
});
