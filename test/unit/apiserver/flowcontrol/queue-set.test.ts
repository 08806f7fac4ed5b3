import t from 'tap';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import { QueueSet, type QueueSetConfig, type RequestHandle } from '../../../../pkg/apiserver/flowcontrol/queue-set.js';
import { dealHand } from '../../../../pkg/apiserver/flowcontrol/shuffle-sharding.js';

function queueSet(over: Partial<QueueSetConfig> = {}, clock = new FakeClock()) {
  return new QueueSet({ name: 'test', concurrencyLimit: 2, queues: 8, handSize: 1, queueLengthLimit: 100, requestWaitLimitMs: 60_000, ...over }, clock);
}

/** A request that records its decision; with handSize 1, flow hash h always lands in queue h % queues. */
function request(qs: QueueSet, flow: number, log: string[], label: string, seats = 1) {
  const r = { decision: '', handle: undefined as RequestHandle | undefined };
  r.handle = qs.startRequest({ flowHash: flow, seats, onDecision: (d) => { r.decision = d; if (d === 'execute') log.push(label); } });
  return r;
}

t.test('a flow that floods does not starve another flow: they take turns', async (t) => {
  const clock = new FakeClock();
  const qs = queueSet({}, clock);
  const order: string[] = [];
  const executing: RequestHandle[] = [];
  const submit = (flow: number, label: string) => {
    // startRequest may dispatch before it returns the handle: what is queued finishes through it later.
    let handle: RequestHandle | undefined;
    handle = qs.startRequest({ flowHash: flow, seats: 1, onDecision: (d) => { if (d === 'execute') { order.push(label); executing.push({ finish: () => handle!.finish() }); } } });
  };
  for (let i = 0; i < 40; i++) submit(0, `A${i}`);
  for (let i = 0; i < 10; i++) submit(1, `B${i}`);
  t.equal(order.length, 2, 'two seats: the first two of the flood run at once');
  // Serve: every 100 ms the oldest executing request finishes.
  for (let i = 0; i < 100 && qs.requestsExecuting > 0; i++) {
    await clock.step(100);
    executing.shift()?.finish();
  }
  t.equal(order.length, 50, 'everything ran');
  const firstTwenty = order.slice(0, 20);
  const quietServed = firstTwenty.filter((l) => l.startsWith('B')).length;
  t.ok(quietServed >= 8, `the quiet flow got about half of the first 20 dispatches (${firstTwenty.join(' ')})`);
  t.ok(order.indexOf('B9') < order.indexOf('A25'), 'the quiet flow is done long before the flood');
});

t.test('a full queue rejects at once while all seats are busy', async (t) => {
  const qs = queueSet({ concurrencyLimit: 1, queues: 2, queueLengthLimit: 2 });
  const log: string[] = [];
  const running = request(qs, 0, log, 'r');
  const waiting = [request(qs, 0, log, 'w1'), request(qs, 0, log, 'w2')];
  const refused = request(qs, 0, log, 'x');
  t.equal(running.decision, 'execute');
  t.same(waiting.map((w) => w.decision), ['', '']);
  t.equal(refused.decision, 'queue-full');
  t.equal(request(qs, 1, log, 'other').decision, '', 'another queue still takes requests');
  t.equal(qs.requestsWaiting, 3);
});

t.test('a request waiting longer than its limit is rejected with time-out, and frees its place', async (t) => {
  const clock = new FakeClock();
  const qs = queueSet({ concurrencyLimit: 1, requestWaitLimitMs: 15_000 }, clock);
  const log: string[] = [];
  const running = request(qs, 0, log, 'r');
  const waiting = request(qs, 1, log, 'w');
  const shorter = qs.startRequest({ flowHash: 2, seats: 1, waitLimitMs: 1_000, onDecision: (d) => log.push(`short:${d}`) });
  await clock.step(1_001);
  t.same(log, ['r', 'short:time-out'], 'its own shorter limit applies');
  t.equal(waiting.decision, '');
  await clock.step(14_000);
  t.equal(waiting.decision, 'time-out');
  t.equal(qs.requestsWaiting, 0);
  running.handle!.finish();
  t.ok(qs.isIdle());
  shorter.finish();
  t.ok(qs.isIdle(), 'finishing a rejected request changes nothing');
});

t.test('seats are released once: on finish, and a cancelled waiter takes none', async (t) => {
  const qs = queueSet({ concurrencyLimit: 2 });
  const log: string[] = [];
  const a = request(qs, 0, log, 'a');
  const b = request(qs, 1, log, 'b');
  const c = request(qs, 2, log, 'c');
  const d = request(qs, 3, log, 'd');
  c.handle!.finish();
  t.equal(c.decision, 'cancelled', 'the client left while it waited');
  a.handle!.finish();
  a.handle!.finish();
  t.same(log, ['a', 'b', 'd'], 'one seat freed, one waiter dispatched');
  t.equal(qs.seatsInUse, 2);
  b.handle!.finish(); d.handle!.finish();
  t.ok(qs.isIdle());
  t.equal(qs.seatsInUse, 0);
});

t.test('wide requests wait for enough free seats; one wider than the limit runs alone', async (t) => {
  const qs = queueSet({ concurrencyLimit: 4 });
  const log: string[] = [];
  const small = request(qs, 0, log, 'small');
  const wide = request(qs, 1, log, 'wide', 4);
  t.same(log, ['small'], '4 seats do not fit beside 1');
  small.handle!.finish();
  t.same(log, ['small', 'wide']);
  const huge = request(qs, 2, log, 'huge', 10);
  t.equal(huge.decision, '');
  wide.handle!.finish();
  t.equal(huge.decision, 'execute', 'runs once nothing else does');
  t.equal(qs.seatsInUse, 10);
});

t.test('a level that rejects (no queues) answers at once', async (t) => {
  const qs = queueSet({ concurrencyLimit: 1, queues: 0 });
  const log: string[] = [];
  t.equal(request(qs, 0, log, 'a').decision, 'execute');
  t.equal(request(qs, 0, log, 'b').decision, 'concurrency-limit');
});

t.test('shuffle sharding deals distinct queues, the same hand for the same hash', async (t) => {
  for (const hash of [0, 1, 12345, 2 ** 47 + 99, 2 ** 48 - 1]) {
    const hand = dealHand(hash, 64, 8);
    t.equal(new Set(hand).size, 8);
    t.ok(hand.every((q) => q >= 0 && q < 64));
    t.same(dealHand(hash, 64, 8), hand);
  }
  t.not(dealHand(1, 64, 8).join(), dealHand(2, 64, 8).join());
});
