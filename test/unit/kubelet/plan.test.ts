// computePodActions: restart policies, init container order, CrashLoopBackOff, sandbox changes,
// spec changes (the container hash) and sidecars.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { Backoff, formatDuration } from '../../../pkg/kubelet/backoff.js';
import { CONTAINER_HASH_ANNOTATION, hashContainer } from '../../../pkg/kubelet/container-hash.js';
import { backoffKey, computePodActions } from '../../../pkg/kubelet/plan.js';
import type { PodSandboxStatus, RuntimeContainerStatus } from '../../../pkg/kubelet/runtime/runtime.js';

const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never', containers = ['app'], inits: string[] = []): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: {
      restartPolicy,
      containers: containers.map((name) => ({ name, image: 'busybox:1.35' })),
      ...(inits.length ? { initContainers: inits.map((name) => ({ name, image: 'busybox:1.35' })) } : {}),
    },
  };
}

const sandbox = (state: 'ready' | 'notready' = 'ready', attempt = 0): PodSandboxStatus => ({
  id: `sb${attempt}`, metadata: { name: 'p', namespace: 'ns', uid: 'u1', attempt }, state, createdAt: iso(T0 + attempt),
  labels: {}, annotations: {}, hostNetwork: false, ip: '10.0.0.2',
});

let seq = 0;
function c(name: string, state: RuntimeContainerStatus['state'], extra: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus {
  const attempt = extra.metadata?.attempt ?? 0;
  return {
    id: `c${seq++}`, sandboxId: 'sb0', metadata: { name, attempt }, pod: { name: 'p', namespace: 'ns', uid: 'u1' },
    state, createdAt: iso(T0 + attempt * 1000), image: 'busybox:1.35', imageId: 'sha256:x', imageRef: 'docker://sha256:x',
    restartCount: attempt, labels: {}, annotations: {},
    ...(state === 'exited' ? { exitCode: 0, finishedAt: iso(T0 + 500 + attempt * 1000) } : {}),
    ...extra,
  };
}

const noBackoff = new Backoff({ clock: new FakeClock(T0) });

t.test('restart policies decide whether an exited container starts again', async (t) => {
  const table: { name: string; policy: 'Always' | 'OnFailure' | 'Never'; exitCode: number; restart: boolean }[] = [
    { name: 'Always restarts success', policy: 'Always', exitCode: 0, restart: true },
    { name: 'Always restarts failure', policy: 'Always', exitCode: 1, restart: true },
    { name: 'OnFailure keeps success', policy: 'OnFailure', exitCode: 0, restart: false },
    { name: 'OnFailure restarts failure', policy: 'OnFailure', exitCode: 1, restart: true },
    { name: 'Never keeps success', policy: 'Never', exitCode: 0, restart: false },
    { name: 'Never keeps failure', policy: 'Never', exitCode: 2, restart: false },
  ];
  for (const row of table) {
    const a = computePodActions({ pod: pod(row.policy), observed: { sandboxes: [sandbox()], containers: [c('app', 'exited', { exitCode: row.exitCode })] }, backoff: noBackoff });
    t.equal(a.containersToStart.length, row.restart ? 1 : 0, row.name);
    t.equal(a.killPod, !row.restart, `${row.name}: pod killed when nothing is left to run`);
    t.equal(a.createSandbox, false, row.name);
  }
});

t.test('a new pod creates its sandbox and starts every container (or the first init container)', async (t) => {
  let a = computePodActions({ pod: pod('Always', ['a', 'b']), observed: { sandboxes: [], containers: [] }, backoff: noBackoff });
  t.same({ create: a.createSandbox, attempt: a.attempt, start: a.containersToStart.map((s) => s.name), kill: a.killPod }, { create: true, attempt: 0, start: ['a', 'b'], kill: false });
  a = computePodActions({ pod: pod('Always', ['a'], ['i1', 'i2']), observed: { sandboxes: [], containers: [] }, backoff: noBackoff });
  t.equal(a.nextInitContainer?.name, 'i1');
  t.same(a.containersToStart, []);
});

t.test('init containers run one at a time, in order, before any app container', async (t) => {
  const p = pod('Always', ['app'], ['i1', 'i2']);
  const run = (containers: RuntimeContainerStatus[]) => computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers }, backoff: noBackoff });
  t.equal(run([]).nextInitContainer?.name, 'i1');
  let a = run([c('i1', 'running')]);
  t.equal(a.nextInitContainer, undefined, 'waits for the running init container');
  t.same(a.containersToStart, []);
  t.equal(run([c('i1', 'exited')]).nextInitContainer?.name, 'i2');
  a = run([c('i1', 'exited'), c('i2', 'exited')]);
  t.same(a.containersToStart.map((s) => s.name), ['app'], 'app starts once all init containers succeeded');
  a = run([c('i1', 'exited', { exitCode: 1 })]);
  t.equal(a.nextInitContainer?.name, 'i1', 'a failed init container is retried under Always');
  t.equal(a.nextInitContainer?.isRestart, true);
  const never = computePodActions({ pod: pod('Never', ['app'], ['i1']), observed: { sandboxes: [sandbox()], containers: [c('i1', 'exited', { exitCode: 1 })] }, backoff: noBackoff });
  t.equal(never.initFailed, true, 'under Never a failed init container fails the pod');
  t.equal(never.killPod, true);
});

t.test('CrashLoopBackOff: 10 s after the first restart, doubling to 5 min, reset after 10 min running', async (t) => {
  const clock = new FakeClock(T0);
  const backoff = new Backoff({ clock });
  const p = pod('Always');
  const key = backoffKey(p, 'app');
  const crash = (attempt: number, finishedAt: number) => computePodActions({
    pod: p, backoff,
    observed: { sandboxes: [sandbox()], containers: [c('app', 'exited', { exitCode: 1, metadata: { name: 'app', attempt }, finishedAt: iso(finishedAt) })] },
  });
  let a = crash(0, clock.now());
  t.equal(a.containersToStart.length, 1, 'the first crash restarts at once');
  backoff.next(key, clock.now());
  await clock.step(1000);
  a = crash(1, clock.now());
  t.same(a.containersToStart, [], 'the second crash waits');
  t.equal(a.backedOff[0]?.message, 'back-off 10s restarting failed container=app pod=p_ns(u1)');
  t.equal(a.killPod, false, 'a backed-off container keeps the pod');
  const finished = clock.now();
  await clock.step(10_000);
  a = crash(1, finished);
  t.equal(a.containersToStart.length, 1, 'after 10 s it restarts');
  const durations: string[] = [];
  for (let i = 0; i < 7; i++) {
    backoff.next(key, clock.now());
    durations.push(formatDuration(backoff.get(key)));
  }
  t.same(durations, ['20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s', '5m0s']);
  await clock.step(11 * 60_000);
  backoff.next(key, clock.now());
  t.equal(backoff.get(key), 10_000, 'a container that ran for more than 10 min starts over at 10 s');
});

t.test('a dead sandbox is recreated with the next attempt, except for finished Never pods', async (t) => {
  let a = computePodActions({ pod: pod('Always'), observed: { sandboxes: [sandbox('notready', 0)], containers: [c('app', 'exited')] }, backoff: noBackoff });
  t.same({ create: a.createSandbox, attempt: a.attempt, start: a.containersToStart.map((s) => s.name) }, { create: true, attempt: 1, start: ['app'] });
  a = computePodActions({ pod: pod('Never'), observed: { sandboxes: [sandbox('notready', 0)], containers: [c('app', 'exited')] }, backoff: noBackoff });
  t.equal(a.createSandbox, false);
  a = computePodActions({ pod: pod('OnFailure'), observed: { sandboxes: [sandbox('notready', 0)], containers: [c('app', 'exited')] }, backoff: noBackoff });
  t.equal(a.createSandbox, false, 'OnFailure pod whose containers all succeeded stays down');
});

t.test('a liveness failure kills and restarts the running container', async (t) => {
  const running = c('app', 'running');
  const a = computePodActions({ pod: pod('Always'), observed: { sandboxes: [sandbox()], containers: [running] }, backoff: noBackoff, unhealthy: new Set([running.id]) });
  t.same(a.containersToKill, [{ id: running.id, name: 'app', message: 'Container app failed liveness probe, will be restarted' }]);
  t.same(a.containersToStart.map((s) => s.name), ['app']);
  const steady = computePodActions({ pod: pod('Always'), observed: { sandboxes: [sandbox()], containers: [running] }, backoff: noBackoff });
  t.same({ kill: steady.containersToKill, start: steady.containersToStart, killPod: steady.killPod }, { kill: [], start: [], killPod: false }, 'a healthy running pod needs nothing');
});

t.test('a startup probe failure names the startup probe in the Killing message', async (t) => {
  const running = c('app', 'running');
  const observed = { sandboxes: [sandbox()], containers: [running] };
  let a = computePodActions({ pod: pod('Always'), observed, backoff: noBackoff, unhealthy: new Map([[running.id, 'startup' as const]]) });
  t.same(a.containersToKill, [{ id: running.id, name: 'app', message: 'Container app failed startup probe, will be restarted' }]);
  a = computePodActions({ pod: pod('Never'), observed, backoff: noBackoff, unhealthy: new Map([[running.id, 'liveness' as const]]) });
  t.same(a.containersToKill.map((k) => k.message), ['Container app failed liveness probe']);
});

t.test('only the two newest instances of a container are kept', async (t) => {
  const old = [0, 1, 2, 3].map((attempt) => c('app', 'exited', { exitCode: 1, metadata: { name: 'app', attempt } }));
  const a = computePodActions({ pod: pod('Always'), observed: { sandboxes: [sandbox()], containers: old }, backoff: noBackoff });
  t.same(a.containersToRemove.sort(), [old[0]?.id, old[1]?.id].sort());
});

// ---- container spec changes (containerChanged) ----

t.test('a running container whose spec changed is killed and restarted, whatever the restart policy', async (t) => {
  const p = pod('Never');
  const oldSpec = { name: 'app', image: 'busybox:old' };
  const table: { name: string; annotations: Record<string, string>; restart: boolean }[] = [
    { name: 'hash of the old image', annotations: { [CONTAINER_HASH_ANNOTATION]: hashContainer(oldSpec) }, restart: true },
    { name: 'hash of the current image', annotations: { [CONTAINER_HASH_ANNOTATION]: hashContainer(p.spec!.containers[0]!) }, restart: false },
    { name: 'no hash recorded (an older kubelet started it)', annotations: {}, restart: false },
  ];
  for (const row of table) {
    const running = c('app', 'running', { annotations: row.annotations });
    const a = computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers: [running] }, backoff: noBackoff });
    t.same(a.containersToKill, row.restart ? [{ id: running.id, name: 'app', message: 'Container app definition changed, will be restarted' }] : [], row.name);
    t.same(a.containersToStart, row.restart ? [{ name: 'app', isRestart: true }] : [], `${row.name}: restart at once, no back-off`);
    t.equal(a.killPod, false, row.name);
  }
});

t.test('the container hash covers name and image only, as upstream pickFieldsToHash', async (t) => {
  const base = { name: 'app', image: 'busybox:1.35' };
  t.equal(hashContainer({ ...base, command: ['sleep', '1'], env: [{ name: 'A', value: 'b' }] }), hashContainer(base));
  t.not(hashContainer({ ...base, image: 'busybox:1.36' }), hashContainer(base));
  t.not(hashContainer({ ...base, name: 'other' }), hashContainer(base));
  t.match(hashContainer(base), /^[0-9a-f]{1,8}$/);
});

// ---- sidecars (init containers with restartPolicy Always) ----

function sidecarPod(restartPolicy: 'Always' | 'OnFailure' | 'Never', inits: { name: string; sidecar?: boolean; startupProbe?: boolean }[], containers = ['app']): Pod {
  const p = pod(restartPolicy, containers);
  p.spec!.initContainers = inits.map((i) => ({
    name: i.name, image: 'busybox:1.35',
    ...(i.sidecar ? { restartPolicy: 'Always' } : {}),
    ...(i.startupProbe ? { startupProbe: { exec: { command: ['true'] } } } : {}),
  }));
  return p;
}

t.test('sidecars start in order; the next init container starts once the sidecar runs', async (t) => {
  const p = sidecarPod('Always', [{ name: 'init' }, { name: 'side', sidecar: true }, { name: 'side2', sidecar: true }]);
  type Row = { name: string; containers: RuntimeContainerStatus[]; inits: string[]; apps: string[] };
  const table: Row[] = [
    { name: 'nothing ran: the first init container', containers: [], inits: ['init'], apps: [] },
    { name: 'init running: wait', containers: [c('init', 'running')], inits: [], apps: [] },
    { name: 'init done: the first sidecar', containers: [c('init', 'exited')], inits: ['side'], apps: [] },
    { name: 'sidecar running: the next one, not waiting for it to exit', containers: [c('init', 'exited'), c('side', 'running')], inits: ['side2'], apps: [] },
    { name: 'all sidecars running: the app starts', containers: [c('init', 'exited'), c('side', 'running'), c('side2', 'running')], inits: [], apps: ['app'] },
    {
      name: 'the app runs: nothing to do', apps: [], inits: [],
      containers: [c('init', 'exited'), c('side', 'running'), c('side2', 'running'), c('app', 'running')],
    },
  ];
  for (const row of table) {
    const a = computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers: row.containers }, backoff: noBackoff });
    t.same(a.initContainersToStart.map((s) => s.name), row.inits, row.name);
    t.same(a.containersToStart.map((s) => s.name), row.apps, row.name);
    t.equal(a.nextInitContainer, undefined, `${row.name}: not the sequential path`);
    t.equal(a.killPod, false, row.name);
  }
  const fresh = computePodActions({ pod: p, observed: { sandboxes: [], containers: [] }, backoff: noBackoff });
  t.same({ create: fresh.createSandbox, inits: fresh.initContainersToStart.map((s) => s.name) }, { create: true, inits: ['init'] }, 'a new sandbox starts from the first init container');
});

t.test('a sidecar with a startup probe holds the next container until the probe passes', async (t) => {
  const p = sidecarPod('Always', [{ name: 'side', sidecar: true, startupProbe: true }]);
  const side = c('side', 'running');
  const plan = (started: boolean, unhealthy?: Map<string, 'startup' | 'liveness'>) => computePodActions({
    pod: p, observed: { sandboxes: [sandbox()], containers: [side] }, backoff: noBackoff,
    isStarted: (name, id) => { t.same([name, id], ['side', side.id]); return started; }, ...(unhealthy ? { unhealthy } : {}),
  });
  t.same(plan(false).containersToStart, [], 'the app waits for the startup probe');
  t.same(plan(true).containersToStart.map((s) => s.name), ['app'], 'then starts');
  const failed = plan(false, new Map([[side.id, 'startup' as const]]));
  t.same(failed.containersToKill, [{ id: side.id, name: 'side', message: 'Init container side failed startup probe' }]);
  t.same(failed.initContainersToStart, [{ name: 'side', isRestart: true }]);
});

t.test('a sidecar is restarted (with back-off) whatever the pod restartPolicy, while the app runs', async (t) => {
  const clock = new FakeClock(T0);
  for (const policy of ['Always', 'OnFailure', 'Never'] as const) {
    const backoff = new Backoff({ clock });
    const p = sidecarPod(policy, [{ name: 'side', sidecar: true }]);
    const exited = c('side', 'exited', { exitCode: 0, finishedAt: iso(clock.now()) });
    const observed = { sandboxes: [sandbox()], containers: [exited, c('app', 'running')] };
    let a = computePodActions({ pod: p, observed, backoff });
    t.same(a.initContainersToStart.map((s) => [s.name, s.isRestart]), [['side', true]], `${policy}: restarted`);
    t.same({ kill: a.killPod, start: a.containersToStart }, { kill: false, start: [] }, `${policy}: the app keeps running`);
    backoff.next(backoffKey(p, 'side'), clock.now());
    a = computePodActions({ pod: p, observed, backoff });
    t.same(a.initContainersToStart, [], `${policy}: backed off`);
    t.equal(a.backedOff[0]?.message, 'back-off 10s restarting failed container=side pod=p_ns(u1)');
  }
});

t.test('a sidecar whose spec changed or whose liveness probe failed is restarted', async (t) => {
  const p = sidecarPod('Always', [{ name: 'side', sidecar: true }]);
  const changed = c('side', 'running', { annotations: { [CONTAINER_HASH_ANNOTATION]: hashContainer({ name: 'side', image: 'busybox:old' }) } });
  let a = computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers: [changed, c('app', 'running')] }, backoff: noBackoff });
  t.same(a.containersToKill, [{ id: changed.id, name: 'side', message: 'Init container side definition changed' }]);
  t.same(a.initContainersToStart, [{ name: 'side', isRestart: true }]);
  const sick = c('side', 'running');
  a = computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers: [sick, c('app', 'running')] }, backoff: noBackoff, unhealthy: new Set([sick.id]) });
  t.same(a.containersToKill, [{ id: sick.id, name: 'side', message: 'Init container side failed liveness probe' }]);
  t.same(a.initContainersToStart, [{ name: 'side', isRestart: true }]);
});

t.test('a Job-like pod finishes when its app containers do: the sidecars are stopped, not restarted', async (t) => {
  for (const policy of ['Never', 'OnFailure'] as const) {
    const p = sidecarPod(policy, [{ name: 'side', sidecar: true }, { name: 'side2', sidecar: true }]);
    const a = computePodActions({
      pod: p, backoff: noBackoff,
      observed: { sandboxes: [sandbox()], containers: [c('side', 'exited', { exitCode: 137 }), c('side2', 'running'), c('app', 'exited', { exitCode: 0 })] },
    });
    t.same({ kill: a.killPod, inits: a.initContainersToStart, apps: a.containersToStart, backedOff: a.backedOff },
      { kill: true, inits: [], apps: [], backedOff: [] }, policy);
  }
});

t.test('with sidecars, a failed regular init container fails a Never pod and is retried otherwise', async (t) => {
  const inits = [{ name: 'side', sidecar: true }, { name: 'init' }];
  const observed = { sandboxes: [sandbox()], containers: [c('side', 'running'), c('init', 'exited', { exitCode: 1 })] };
  const never = computePodActions({ pod: sidecarPod('Never', inits), observed, backoff: noBackoff });
  t.same({ failed: never.initFailed, kill: never.killPod, inits: never.initContainersToStart }, { failed: true, kill: true, inits: [] });
  const always = computePodActions({ pod: sidecarPod('Always', inits), observed, backoff: noBackoff });
  t.same(always.initContainersToStart.map((s) => s.name), ['init']);
  t.same(always.containersToStart, []);
});

t.test('after initialization a sidecar whose instance is gone starts again; finished init containers do not', async (t) => {
  const p = sidecarPod('Always', [{ name: 'init' }, { name: 'side', sidecar: true }]);
  const a = computePodActions({ pod: p, observed: { sandboxes: [sandbox()], containers: [c('app', 'running')] }, backoff: noBackoff });
  t.same(a.initContainersToStart, [{ name: 'side', isRestart: false }]);
  t.same(a.containersToStart, []);
});
