// TerminationOrdering: sidecars stop after every app container, in reverse order, and nobody
// waits past the grace period.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { TerminationOrdering } from '../../../pkg/kubelet/termination-ordering.js';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: {
    initContainers: [
      { name: 'init', image: 'busybox:1.35' },
      { name: 's1', image: 'busybox:1.35', restartPolicy: 'Always' },
      { name: 's2', image: 'busybox:1.35', restartPolicy: 'Always' },
    ],
    containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }],
  },
};

const settle = () => new Promise((r) => setImmediate(r));

t.test('sidecars wait for the app containers, then for the sidecars after them', async (t) => {
  const clock = new FakeClock();
  const o = new TerminationOrdering(pod, ['a', 'b', 's1', 's2'], clock);
  const turns: string[] = [];
  for (const name of ['a', 'b', 's1', 's2']) void o.waitForTurn(name, 30).then(() => turns.push(name));
  await settle();
  t.same(turns, ['a', 'b'], 'the app containers go at once');
  o.containerTerminated('a');
  await settle();
  t.same(turns, ['a', 'b'], 'sidecars wait for every app container');
  o.containerTerminated('b');
  await settle();
  t.same(turns, ['a', 'b', 's2'], 'then the last sidecar goes first');
  o.containerTerminated('s2');
  await settle();
  t.same(turns, ['a', 'b', 's2', 's1'], 'and s1 once s2 has stopped');
  t.equal(clock.hasWaiters(), false, 'the grace timers are cancelled');
});

t.test('containers that are not running hold nobody up', async (t) => {
  const o = new TerminationOrdering(pod, ['s1'], new FakeClock());
  let went = false;
  void o.waitForTurn('s1', 30).then(() => { went = true; });
  await settle();
  t.equal(went, true);
});

t.test('the wait ends with the grace period', async (t) => {
  const clock = new FakeClock();
  const o = new TerminationOrdering(pod, ['a', 's1'], clock);
  let went = false;
  void o.waitForTurn('s1', 5).then(() => { went = true; });
  await clock.step(4_999);
  t.equal(went, false, 'app container a is still running');
  await clock.step(1);
  await settle();
  t.equal(went, true, 'grace period over: the sidecar is stopped anyway');
  t.equal(clock.hasWaiters(), false);
  let immediate = false;
  void o.waitForTurn('s1', 0).then(() => { immediate = true; });
  await settle();
  t.equal(immediate, true, 'no grace period: no waiting');
});
