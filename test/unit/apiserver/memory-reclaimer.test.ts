import t from 'tap';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { BIG_RESPONSE_BYTES, MemoryReclaimer } from '../../../pkg/apiserver/memory-reclaimer.js';

t.test('one full GC once big responses stop; none for small ones', async (t) => {
  let gcs = 0;
  const clock = new FakeClock();
  const r = new MemoryReclaimer({ gc: () => { gcs++; }, quietMs: 200, clock });
  t.teardown(() => r.stop());
  r.responseSent(BIG_RESPONSE_BYTES - 1);
  await clock.step(300);
  t.equal(gcs, 0, 'a small response leaves the heap to V8');
  for (let i = 0; i < 4; i++) {
    r.responseSent(BIG_RESPONSE_BYTES);
    await clock.step(100);
  }
  t.equal(gcs, 0, 'no GC while big responses keep coming');
  await clock.step(250);
  t.equal(gcs, 1, 'one GC after the burst');
  await clock.step(300);
  t.equal(gcs, 1, 'and no more until the next big response');
});

t.test("the GC is V8's own where the process was started with --expose-gc, and none without", async (t) => {
  const g = globalThis as { gc?: unknown };
  const before = g.gc;
  t.teardown(() => { g.gc = before; });
  let gcs = 0;
  g.gc = () => { gcs++; };
  const clock = new FakeClock();
  const exposed = new MemoryReclaimer({ quietMs: 0, clock });
  exposed.responseSent(BIG_RESPONSE_BYTES);
  await clock.step(1);
  t.equal(gcs, 1, 'the exposed gc() ran');
  delete g.gc;
  const without = new MemoryReclaimer({ quietMs: 0, clock });
  without.responseSent(BIG_RESPONSE_BYTES);
  await clock.step(1);
  t.equal(gcs, 1, 'nothing runs, and nothing throws, without it');
});
