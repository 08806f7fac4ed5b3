import t from 'tap';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { MemoryBudget, reserveWhileOpen } from '../../../pkg/apiserver/memory-budget.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { isStatusError } from '../../../pkg/api/errors.js';

const settled = async <T>(p: Promise<T>) => {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => { state = 'resolved'; }, () => { state = 'rejected'; });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
};

t.test('lists within the budget run at once; the next waits until one is sent', async (t) => {
  const budget = new MemoryBudget({ limitBytes: 100, clock: new FakeClock() });
  const a = await budget.reserve(60);
  await budget.reserve(40);
  const third = budget.reserve(10);
  t.equal(await settled(third), 'pending', 'the third waits: the budget is spent');
  a();
  t.equal(await settled(third), 'resolved', 'and runs once the first is sent');
  t.equal(budget.inUseBytes, 50);
});

t.test('waiters are served first come, first served: a small list does not overtake a big one', async (t) => {
  const budget = new MemoryBudget({ limitBytes: 100, clock: new FakeClock() });
  const first = await budget.reserve(90);
  const big = budget.reserve(80);
  const small = budget.reserve(5);
  t.equal(await settled(small), 'pending', 'the small one queues behind the big one even though it would fit');
  first();
  t.equal(await settled(big), 'resolved');
  t.equal(await settled(small), 'resolved');
});

t.test('a list bigger than the whole budget runs alone rather than never', async (t) => {
  const budget = new MemoryBudget({ limitBytes: 100, clock: new FakeClock() });
  const huge = await budget.reserve(1_000);
  t.equal(budget.inUseBytes, 100);
  const other = budget.reserve(1);
  t.equal(await settled(other), 'pending');
  huge();
  huge();
  t.equal(await settled(other), 'resolved', 'and releasing twice gives back once');
  t.equal(budget.inUseBytes, 1);
});

t.test('a list that waits too long is refused with 429 and a Retry-After, and the queue moves on', async (t) => {
  const clock = new FakeClock();
  const budget = new MemoryBudget({ limitBytes: 100, maxWaitMs: 15_000, clock });
  const held = await budget.reserve(100);
  const refused = budget.reserve(50).catch((e: unknown) => e);
  await clock.step(15_000);
  const err = await refused;
  t.ok(isStatusError(err) && err.code === 429 && err.status.details?.retryAfterSeconds === 1);
  t.equal(budget.waiting, 0);
  held();
  t.equal(budget.inUseBytes, 0);
});

t.test('a reservation is given back when the response closes, also when the client left while it waited', async (t) => {
  const budget = new MemoryBudget({ limitBytes: 100, clock: new FakeClock() });
  const first = new EventEmitter() as unknown as ServerResponse;
  await reserveWhileOpen(budget, 100, first);
  const gone = new EventEmitter() as unknown as ServerResponse;
  const waiting = reserveWhileOpen(budget, 50, gone);
  gone.emit('close'); // the client left while its list waited
  first.emit('close');
  await waiting;
  t.equal(budget.inUseBytes, 0, 'nothing is held for the client that left');
});
