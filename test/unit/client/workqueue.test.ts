import t from 'tap';
import { WorkQueue } from '../../../pkg/client/workqueue.js';
import { FakeClock } from '../../../pkg/client/fake-clock.js';
import { ItemExponentialFailureRateLimiter } from '../../../pkg/client/rate-limiter.js';

t.test('a key added several times is queued once', async (t) => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('ns/a'); q.add('ns/b'); q.add('ns/a');
  t.equal(q.len(), 2);
  t.equal(await q.get(), 'ns/a');
  t.equal(await q.get(), 'ns/b');
  t.equal(q.len(), 0);
});

t.test('a key added while being processed is handed out again only after done', async (t) => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('k');
  const key = await q.get();
  t.equal(key, 'k');
  q.add('k');
  q.add('k');
  t.equal(q.len(), 0, 'not queued while processing');
  let second: string | undefined;
  void q.get().then((k) => { second = k; });
  await Promise.resolve();
  t.equal(second, undefined, 'no second worker gets it meanwhile');
  q.done('k');
  await Promise.resolve();
  t.equal(second, 'k', 're-queued once after done');
  q.done('k');
  t.equal(q.len(), 0);
});

t.test('get waits for an add', async (t) => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const p = q.get();
  q.add('x');
  t.equal(await p, 'x');
});

t.test('shutDown drains queued keys, then get returns undefined and adds are ignored', async (t) => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const waiting = new WorkQueue({ clock: new FakeClock() });
  const blocked = waiting.get();
  waiting.shutDown();
  t.equal(await blocked, undefined, 'a waiting get is released');

  q.add('a'); q.add('b');
  q.shutDown();
  q.add('c');
  t.equal(await q.get(), 'a');
  t.equal(await q.get(), 'b');
  t.equal(await q.get(), undefined);
  t.ok(q.isShuttingDown());
});

t.test('shutDownWithDrain waits for keys in flight to be done', async (t) => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = await q.get();
  let drained = false;
  const p = q.shutDownWithDrain().then(() => { drained = true; });
  await Promise.resolve();
  t.notOk(drained);
  q.done(k!);
  await p;
  t.ok(drained);
});

t.test('addAfter adds when the delay passes; the earliest of two delays wins', async (t) => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('k', 1000);
  q.addAfter('k', 200);
  q.addAfter('k', 5000);
  t.equal(q.len(), 0);
  await clock.step(199);
  t.equal(q.len(), 0);
  await clock.step(1);
  t.equal(q.len(), 1);
  t.equal(await q.get(), 'k');
  q.done('k');
  await clock.step(10_000);
  t.equal(q.len(), 0, 'later delays were superseded');
});

t.test('addRateLimited backs off exponentially per key until forget', async (t) => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000_000) });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = clock.now();
    q.addRateLimited('k');
    while (q.len() === 0) await clock.step(1);
    delays.push(clock.now() - start);
    q.done((await q.get())!);
  }
  t.same(delays, [5, 10, 20, 40]);
  t.equal(q.numRequeues('k'), 4);
  q.forget('k');
  t.equal(q.numRequeues('k'), 0);
  q.addRateLimited('k');
  await clock.step(5);
  t.equal(q.len(), 1, 'back to the base delay after forget');
});
