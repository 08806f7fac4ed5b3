// The probe worker state machine under a fake clock and a scripted prober: thresholds,
// initial delay, startup gating, liveness hold, events and results per container instance.
import t from 'tap';
import { pino } from 'pino';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import type { EventRecorder } from '../../../../pkg/client/event-recorder.js';
import { FakeRuntime } from '../../../../pkg/kubelet/runtime/fake-runtime.js';
import { ProbeManager } from '../../../../pkg/kubelet/probes/probe-manager.js';
import type { Prober } from '../../../../pkg/kubelet/probes/prober.js';
import { ProbeError, type ProbeOutcome } from '../../../../pkg/kubelet/probes/probe-result.js';

const log = pino({ level: 'silent' });

interface Harness {
  clock: FakeClock;
  manager: ProbeManager;
  /** Outcome per probe kind (exec command[0] names it), changed by the test as it goes. */
  outcomes: Map<string, ProbeOutcome | Error>;
  calls: string[];
  running: Set<string>;
  events: { reason: string; message: string }[];
  livenessFailures: string[];
  changes: number;
}

function harness(): Harness {
  const clock = new FakeClock();
  const h: Harness = {
    clock, outcomes: new Map(), calls: [], events: [], running: new Set(['cid', 'cid-1', 'cid-2', 'a1', 'b1']), livenessFailures: [], changes: 0,
    manager: undefined as unknown as ProbeManager,
  };
  const prober: Prober = async (probe) => {
    const kind = probe.exec?.command?.[0] ?? '?';
    h.calls.push(kind);
    const o = h.outcomes.get(kind) ?? { result: 'success', output: '' };
    if (o instanceof Error) throw o;
    return o;
  };
  const recorder = { event: (_o: unknown, _type: string, reason: string, message: string) => { h.events.push({ reason, message }); } } as unknown as EventRecorder;
  h.manager = new ProbeManager({
    runtime: new FakeRuntime({ nodeName: 'n' }), clock, log, recorder, prober,
    isContainerRunning: async (id) => h.running.has(id),
    onLivenessFailure: (uid, name, type) => { h.livenessFailures.push(`${uid}/${name}/${type}`); },
    onChange: () => { h.changes++; },
  });
  return h;
}

const probe = (kind: string, extra: Partial<Probe> = {}): Probe => ({ exec: { command: [kind] }, periodSeconds: 10, ...extra });
const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers: [] } };
const fail = (output = 'boom'): ProbeOutcome => ({ result: 'failure', output });

t.test('readiness starts false and turns true on the first success', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', readinessProbe: probe('ready') };
  h.manager.addContainer(pod, c, 'cid-1', '10.0.0.1', h.clock.now());
  t.equal(h.manager.isReady('uid-1', 'c'), false, 'not ready before any probe');
  t.equal(h.manager.isStarted('uid-1', 'c'), true, 'no startup probe: started');
  await h.clock.step(0);
  t.equal(h.manager.isReady('uid-1', 'c'), true);
  t.equal(h.changes, 1, 'onChange once');
  h.manager.stop();
});

t.test('a container without probes is ready; an unknown container is neither ready nor started', async (t) => {
  const h = harness();
  h.manager.addContainer(pod, { name: 'plain' }, 'cid', undefined, h.clock.now());
  t.equal(h.manager.isReady('uid-1', 'plain'), true);
  t.equal(h.manager.isReady('uid-1', 'other'), false);
  t.equal(h.manager.isStarted('uid-1', 'other'), false);
  h.manager.removeContainer('uid-1', 'plain');
  t.equal(h.manager.isReady('uid-1', 'plain'), false);
});

t.test('readiness flips only after failureThreshold consecutive failures and successThreshold successes', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', readinessProbe: probe('ready', { failureThreshold: 3, successThreshold: 2 }) };
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  t.equal(h.manager.isReady('uid-1', 'c'), false, 'one success is below successThreshold 2');
  await h.clock.step(10_000);
  t.equal(h.manager.isReady('uid-1', 'c'), true, 'second success');
  h.outcomes.set('ready', fail('HTTP probe failed with statuscode: 500'));
  await h.clock.step(10_000);
  await h.clock.step(10_000);
  t.equal(h.manager.isReady('uid-1', 'c'), true, 'two failures are below failureThreshold 3');
  await h.clock.step(10_000);
  t.equal(h.manager.isReady('uid-1', 'c'), false, 'third failure');
  t.same(h.events.at(-1), { reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 500' });
  t.equal(h.events.length, 3, 'every failed probe is an event');
  h.manager.stop();
});

t.test('probes wait for initialDelaySeconds and run every periodSeconds', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', livenessProbe: probe('live', { initialDelaySeconds: 15, periodSeconds: 5 }) };
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  await h.clock.step(10_000);
  t.same(h.calls, [], 'no probe before 15s');
  await h.clock.step(5_000);
  t.same(h.calls, ['live'], 'first probe at 15s');
  await h.clock.step(5_000);
  await h.clock.step(5_000);
  t.equal(h.calls.length, 3);
  h.manager.stop();
  await h.clock.step(60_000);
  t.equal(h.calls.length, 3, 'stopped workers do not probe');
});

t.test('liveness failure at the threshold calls onLivenessFailure once and holds until a new container', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', livenessProbe: probe('live', { failureThreshold: 2, periodSeconds: 1 }) };
  h.manager.addContainer(pod, c, 'cid-1', '10.0.0.1', h.clock.now());
  h.outcomes.set('live', fail("cat: can't open '/tmp/healthy': No such file or directory\n"));
  await h.clock.step(0);
  t.same(h.livenessFailures, []);
  await h.clock.step(1_000);
  t.same(h.livenessFailures, ['uid-1/c/liveness']);
  t.equal(h.events[0]?.message, "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n");
  await h.clock.step(5_000);
  t.equal(h.calls.length, 2, 'on hold: no more probes of the doomed container');
  t.equal(h.changes, 0, 'liveness does not change readiness');

  h.outcomes.set('live', { result: 'success', output: '' });
  h.manager.addContainer(pod, c, 'cid-2', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  t.equal(h.calls.length, 3, 'the restarted container is probed again');
  h.outcomes.set('live', fail());
  await h.clock.step(1_000);
  await h.clock.step(1_000);
  t.same(h.livenessFailures, ['uid-1/c/liveness', 'uid-1/c/liveness'], 'the new instance can fail again');
  h.manager.stop();
});

t.test('the startup probe gates liveness and readiness, then rests', async (t) => {
  const h = harness();
  const c: Container = {
    name: 'c',
    startupProbe: probe('startup', { periodSeconds: 1, failureThreshold: 30 }),
    readinessProbe: probe('ready', { periodSeconds: 10 }),
    livenessProbe: probe('live', { periodSeconds: 10 }),
  };
  h.outcomes.set('startup', fail());
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  await h.clock.step(1_000);
  t.same(h.calls, ['startup', 'startup'], 'only the startup probe runs before the container started');
  t.equal(h.manager.isStarted('uid-1', 'c'), false);
  t.equal(h.manager.isReady('uid-1', 'c'), false);
  h.outcomes.set('startup', { result: 'success', output: '' });
  await h.clock.step(1_000);
  t.equal(h.manager.isStarted('uid-1', 'c'), true);
  t.equal(h.calls.at(-1), 'ready', 'readiness runs at once after startup succeeds');
  t.equal(h.manager.isReady('uid-1', 'c'), true);
  const startupCalls = h.calls.filter((k) => k === 'startup').length;
  await h.clock.step(30_000);
  t.equal(h.calls.filter((k) => k === 'startup').length, startupCalls, 'startup probe rests once started');
  t.ok(h.calls.includes('live'), 'liveness runs after startup');
  h.manager.stop();
});

t.test('a startup probe failing failureThreshold times restarts the container', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', startupProbe: probe('startup', { periodSeconds: 1, failureThreshold: 3 }) };
  h.outcomes.set('startup', fail('dial tcp 10.0.0.1:80: connect: connection refused'));
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  for (let i = 0; i < 3; i++) await h.clock.step(i === 0 ? 0 : 1_000);
  t.same(h.livenessFailures, ['uid-1/c/startup']);
  t.equal(h.events[0]?.message, 'Startup probe failed: dial tcp 10.0.0.1:80: connect: connection refused');
  h.manager.stop();
});

t.test('a probe that errors is retried three times, reported, and its result thrown away', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', readinessProbe: probe('ready'), livenessProbe: probe('live', { failureThreshold: 1 }) };
  h.outcomes.set('live', new ProbeError('container "cid" is not running'));
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  t.equal(h.calls.filter((k) => k === 'live').length, 3);
  t.same(h.livenessFailures, [], 'an error is not a failure');
  t.same(h.events, [{ reason: 'Unhealthy', message: 'Liveness probe errored and resulted in unknown state: container "cid" is not running' }]);
  h.manager.stop();
});

t.test('a redirect the prober did not follow is a ProbeWarning and counts as success', async (t) => {
  const h = harness();
  h.outcomes.set('ready', { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  h.manager.addContainer(pod, { name: 'c', readinessProbe: probe('ready') }, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  t.equal(h.manager.isReady('uid-1', 'c'), true);
  t.same(h.events, [{ reason: 'ProbeWarning', message: 'Readiness probe warning: Probe terminated redirects, Response body: moved' }]);
  h.manager.stop();
});

t.test('liveness stops quietly once the pod is being deleted', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', livenessProbe: probe('live', { failureThreshold: 1, periodSeconds: 1 }) };
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  h.manager.updatePod({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } });
  h.outcomes.set('live', fail());
  await h.clock.step(5_000);
  t.same(h.livenessFailures, []);
  t.equal(h.calls.length, 1);
  h.manager.stop();
});

t.test('an exited container is not probed and turns unready, without a liveness kill', async (t) => {
  const h = harness();
  const c: Container = { name: 'c', readinessProbe: probe('ready', { periodSeconds: 1 }), livenessProbe: probe('live', { periodSeconds: 1, failureThreshold: 1 }) };
  h.manager.addContainer(pod, c, 'cid', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  t.equal(h.manager.isReady('uid-1', 'c'), true);
  h.running.delete('cid');
  const n = h.calls.length;
  await h.clock.step(1_000);
  await h.clock.step(5_000);
  t.equal(h.calls.length, n, 'no probes');
  t.equal(h.manager.isReady('uid-1', 'c'), false);
  t.same(h.livenessFailures, []);
  t.same(h.events, []);
  t.notOk(h.clock.hasWaiters(), 'its workers ended');
});

t.test('removePod stops every worker of the pod', async (t) => {
  const h = harness();
  h.manager.addContainer(pod, { name: 'a', readinessProbe: probe('ready') }, 'a1', '10.0.0.1', h.clock.now());
  h.manager.addContainer(pod, { name: 'b', livenessProbe: probe('live') }, 'b1', '10.0.0.1', h.clock.now());
  await h.clock.step(0);
  h.manager.removePod('uid-1');
  const n = h.calls.length;
  await h.clock.step(60_000);
  t.equal(h.calls.length, n);
  t.equal(h.manager.isReady('uid-1', 'a'), false);
  t.notOk(h.clock.hasWaiters());
});
