import t from 'tap';
import { SchedulingQueue, backoffDurationMs } from '../../../pkg/scheduler/scheduling-queue.js';
import { makePod } from './make-objects.js';

function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

t.test('activeQ pops by priority, then by arrival', async (t) => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('low', { priority: 1 }));
  clock.advance(1);
  q.add(makePod('high-first', { priority: 10 }));
  clock.advance(1);
  q.add(makePod('high-second', { priority: 10 }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())?.pod.metadata?.name);
  t.same(order, ['high-first', 'high-second', 'low']);
});

t.test('backoff doubles from 1 s to a 10 s cap', async (t) => {
  t.same([1, 2, 3, 4, 5, 6].map((n) => backoffDurationMs(n)), [1000, 2000, 4000, 8000, 10000, 10000]);
});

t.test('an unschedulable pod waits for a cluster event, then its backoff', async (t) => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('p'));
  const info = (await q.pop())!;
  const cycle = q.schedulingCycle;
  q.addUnschedulableIfNotPresent(info, cycle);
  t.same(q.pendingPods(), { active: 0, backoff: 0, unschedulable: 1 });
  clock.advance(500);
  q.moveAllToActiveOrBackoff('NodeAdd');
  t.same(q.pendingPods(), { active: 0, backoff: 1, unschedulable: 0 }, 'still backing off (1 s after 1 attempt)');
  clock.advance(499);
  q.flushBackoffQCompleted();
  t.same(q.pendingPods(), { active: 0, backoff: 1, unschedulable: 0 });
  clock.advance(1);
  q.flushBackoffQCompleted();
  t.same(q.pendingPods(), { active: 1, backoff: 0, unschedulable: 0 });
  const again = (await q.pop())!;
  t.equal(again.attempts, 2);
  q.addUnschedulableIfNotPresent(again, q.schedulingCycle);
  clock.advance(5000);
  q.moveAllToActiveOrBackoff('AssignedPodDelete');
  t.same(q.pendingPods(), { active: 1, backoff: 0, unschedulable: 0 }, 'backoff (2 s) already over');
});

t.test('a cluster event during the scheduling attempt sends the failed pod to backoffQ', async (t) => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('p'));
  const info = (await q.pop())!;
  const cycle = q.schedulingCycle;
  q.moveAllToActiveOrBackoff('NodeUpdate');
  q.addUnschedulableIfNotPresent(info, cycle);
  t.same(q.pendingPods(), { active: 0, backoff: 1, unschedulable: 0 });
});

t.test('unschedulable pods are retried after five minutes without events', async (t) => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  q.add(makePod('p'));
  q.addUnschedulableIfNotPresent((await q.pop())!, q.schedulingCycle);
  clock.advance(5 * 60_000);
  q.flushUnschedulablePodsLeftover();
  t.equal(q.pendingPods().unschedulable, 1, 'exactly five minutes is not more than five');
  clock.advance(1);
  q.flushUnschedulablePodsLeftover();
  t.same(q.pendingPods(), { active: 1, backoff: 0, unschedulable: 0 });
});

t.test('update of an unschedulable pod retries it; delete removes it; pop waits and aborts', async (t) => {
  const clock = fakeClock();
  const q = new SchedulingQueue({ clock: clock.now });
  const pod = makePod('p', { cpu: '2' });
  q.add(pod);
  q.addUnschedulableIfNotPresent((await q.pop())!, q.schedulingCycle);
  clock.advance(2000);
  q.update(pod, makePod('p', { cpu: '1' }));
  t.equal(q.pendingPods().active, 1);
  q.delete(pod);
  t.same(q.pendingPods(), { active: 0, backoff: 0, unschedulable: 0 });
  const waiting = q.pop();
  q.add(makePod('late'));
  t.equal((await waiting)?.pod.metadata?.name, 'late', 'pop resolves when a pod arrives');
  const ac = new AbortController();
  const aborted = q.pop(ac.signal);
  ac.abort();
  t.equal(await aborted, undefined);
});
