import t from 'tap';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import {
  BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter,
} from '../../../pkg/client/rate-limiter.js';

t.test('per-item exponential backoff doubles from the base and stops at the max', async (t) => {
  const l = new ItemExponentialFailureRateLimiter(5, 1000_000);
  const got = Array.from({ length: 5 }, () => l.when('a'));
  t.same(got, [5, 10, 20, 40, 80]);
  t.equal(l.when('b'), 5, 'items are independent');
  for (let i = 0; i < 100; i++) l.when('a');
  t.equal(l.when('a'), 1000_000);
  t.equal(l.numRequeues('a'), 106);
  l.forget('a');
  t.equal(l.when('a'), 5);
});

t.test('the token bucket lets a burst through and then spaces calls at qps', async (t) => {
  const clock = new FakeClock();
  const l = new BucketRateLimiter(10, 100, clock);
  for (let i = 0; i < 100; i++) t.equal(l.when(), 0);
  t.equal(l.when(), 100, '101st waits one token (100 ms at 10 qps)');
  t.equal(l.when(), 200);
  await clock.step(1000);
  // 10 tokens came back but 2 were borrowed: 8 free, then waits again.
  for (let i = 0; i < 8; i++) t.equal(l.when(), 0);
  t.equal(l.when(), 100);
});

t.test('max-of limiter takes the longest delay', async (t) => {
  const clock = new FakeClock();
  const l = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1000), new BucketRateLimiter(1, 1, clock));
  t.equal(l.when('a'), 5);
  t.equal(l.when('a'), 1000, 'bucket empty: 1 s');
  t.equal(l.numRequeues('a'), 2);
  l.forget('a');
  t.equal(l.numRequeues('a'), 0);
});

t.test('the default controller limiter starts at 5 ms per item', async (t) => {
  const l = defaultControllerRateLimiter(new FakeClock());
  t.equal(l.when('x'), 5);
  t.equal(l.when('x'), 10);
  t.equal(l.when('y'), 5);
});
