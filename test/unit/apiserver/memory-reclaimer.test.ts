import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIG_RESPONSE_BYTES, MemoryReclaimer } from '../../../pkg/apiserver/memory-reclaimer.js';

t.test('one full GC once big responses stop; none for small ones', async (t) => {
  let gcs = 0;
  const r = new MemoryReclaimer({ gc: () => { gcs++; }, quietMs: 200 });
  t.teardown(() => r.stop());
  r.responseSent(BIG_RESPONSE_BYTES - 1);
  await sleep(300);
  t.equal(gcs, 0, 'a small response leaves the heap to V8');
  for (let i = 0; i < 4; i++) {
    r.responseSent(BIG_RESPONSE_BYTES);
    await sleep(100);
  }
  t.equal(gcs, 0, 'no GC while big responses keep coming');
  await sleep(250);
  t.equal(gcs, 1, 'one GC after the burst');
  await sleep(300);
  t.equal(gcs, 1, 'and no more until the next big response');
});

t.test('the real V8 GC can be had in this process', async (t) => {
  let collected = false;
  const registry = new FinalizationRegistry(() => { collected = true; });
  (() => { registry.register({ big: 'x'.repeat(1000) }, 'gone'); })();
  const r = new MemoryReclaimer({ quietMs: 0 });
  r.responseSent(BIG_RESPONSE_BYTES);
  for (let i = 0; i < 20 && !collected; i++) await sleep(25);
  t.ok(collected, 'an unreachable object was collected by the forced GC');
});
