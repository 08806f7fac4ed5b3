// PodWorkers' periodic resync (--sync-frequency): every pod in the sync phase is synced again
// after the interval plus jitter even without a change; earlier requeues still win; pods
// being terminated are not resynced.
import t from 'tap';
import { pino } from 'pino';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { PodWorkers, type PodSyncer, type SyncResult, type WorkerPod } from '../../../pkg/kubelet/pod-workers.js';

const log = pino({ level: 'silent' });
const pod = (uid: string): Pod => ({ metadata: { name: uid, namespace: 'ns', uid }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });

function recorder(result: SyncResult = {}) {
  const calls: string[] = [];
  const syncer: PodSyncer = {
    async syncPod(p: WorkerPod) { calls.push(`sync ${p.metadata?.uid ?? ''}`); return result; },
    async syncTerminatingPod(p: WorkerPod) { calls.push(`terminating ${p.metadata?.uid ?? ''}`); },
    async syncTerminatedPod(p: WorkerPod) { calls.push(`terminated ${p.metadata?.uid ?? ''}`); },
  };
  return { calls, syncer };
}

const settle = () => new Promise((r) => setImmediate(r));

/** Workers on a fake clock with pod `a` synced once; step(ms) moves time and lets the syncs run. */
async function started(t: Tap, opts: { resyncIntervalMs?: number; random?: number; result?: SyncResult }) {
  const clock = new FakeClock();
  const { calls, syncer } = recorder(opts.result);
  const workers = new PodWorkers({
    syncer, log, clock, ...(opts.resyncIntervalMs !== undefined ? { resyncIntervalMs: opts.resyncIntervalMs } : {}), random: () => opts.random ?? 0,
  });
  t.teardown(() => workers.stop());
  workers.updatePod({ pod: pod('a'), type: 'sync' });
  await settle();
  const step = async (ms: number) => { await clock.step(ms); await settle(); };
  return { clock, calls, workers, step };
}
type Tap = { teardown(fn: () => unknown): void };

t.test('when a pod with no change is synced again', async (t) => {
  const table: { name: string; resyncIntervalMs?: number; random?: number; result?: SyncResult; silentMs: number; resyncedAtMs: number }[] = [
    { name: 'every resync interval (1m)', resyncIntervalMs: 60_000, silentMs: 59_999, resyncedAtMs: 60_000 },
    { name: 'jittered by up to half the interval, as wait.Jitter(interval, 0.5)', resyncIntervalMs: 60_000, random: 0.999, silentMs: 89_000, resyncedAtMs: 90_000 },
    { name: 'an earlier requeue (back-off end, retry) comes first', resyncIntervalMs: 60_000, result: { requeueAfterMs: 5_000 }, silentMs: 4_999, resyncedAtMs: 5_000 },
    { name: 'a zero interval resyncs once a second, never in a busy loop', resyncIntervalMs: 0, silentMs: 999, resyncedAtMs: 1_000 },
  ];
  for (const row of table) {
    const { calls, step } = await started(t, row);
    t.same(calls, ['sync a'], `${row.name}: the first sync`);
    await step(row.silentMs);
    t.same(calls, ['sync a'], `${row.name}: nothing before`);
    await step(row.resyncedAtMs - row.silentMs);
    t.same(calls, ['sync a', 'sync a'], `${row.name}: synced again`);
  }
  const { calls, step } = await started(t, { resyncIntervalMs: 60_000 });
  await step(120_000);
  t.same(calls, ['sync a', 'sync a', 'sync a'], 'and again, for as long as the pod lives');
});

t.test('without a resync interval nothing is synced again', async (t) => {
  const { calls, step } = await started(t, {});
  await step(3_600_000);
  t.same(calls, ['sync a']);
});

t.test('a pod being killed is not resynced', async (t) => {
  const { calls, step, workers, clock } = await started(t, { resyncIntervalMs: 1_000 });
  workers.updatePod({ pod: pod('a'), type: 'kill', gracePeriodSeconds: 0 });
  await step(10_000);
  t.same(calls, ['sync a', 'terminating a', 'terminated a']);
  t.equal(clock.hasWaiters(), false, 'no timer left behind');
});
