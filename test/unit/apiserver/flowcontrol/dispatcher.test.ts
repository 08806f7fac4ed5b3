import t from 'tap';
import type { FlowSchema, PriorityLevelConfiguration } from 'kubernetes-types/flowcontrol/v1.js';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import { Dispatcher, maxSeatsFor, nominalConcurrencyLimits, type Admission } from '../../../../pkg/apiserver/flowcontrol/dispatcher.js';
import { requestAttributes } from '../../../../pkg/apiserver/flowcontrol/request-attributes.js';

function limited(name: string, shares: number, queuing?: { queues: number; handSize: number; queueLengthLimit: number }): PriorityLevelConfiguration {
  return {
    kind: 'PriorityLevelConfiguration', metadata: { name, uid: `uid-${name}` },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: shares, limitResponse: queuing ? { type: 'Queue', queuing } : { type: 'Reject' } } },
  };
}
const exempt: PriorityLevelConfiguration = { kind: 'PriorityLevelConfiguration', metadata: { name: 'exempt' }, spec: { type: 'Exempt', exempt: {} } };
const all = { verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true };
function fs(name: string, precedence: number, pl: string, group: string): FlowSchema {
  return { kind: 'FlowSchema', metadata: { name, uid: `uid-${name}` }, spec: { matchingPrecedence: precedence, priorityLevelConfiguration: { name: pl }, distinguisherMethod: { type: 'ByUser' }, rules: [{ subjects: [{ kind: 'Group', group: { name: group } }], resourceRules: [all] }] } };
}

t.test('nominal limits split the server limit by shares, rounding up', async (t) => {
  // Upstream's suggested levels and shares with the default 400 + 200.
  const levels = [exempt, limited('system', 30), limited('node-high', 40), limited('leader-election', 10), limited('workload-high', 40),
    limited('workload-low', 100), limited('global-default', 20), limited('catch-all', 5)];
  const got = nominalConcurrencyLimits(levels, 600);
  t.same(Object.fromEntries(got), { exempt: 0, system: 74, 'node-high': 98, 'leader-election': 25, 'workload-high': 98, 'workload-low': 245, 'global-default': 49, 'catch-all': 13 });
  t.equal(maxSeatsFor(49, 6), 8, '15% of 49, rounded up');
  t.equal(maxSeatsFor(245, 6), 37, 'the estimator still caps a list at 10');
  t.equal(maxSeatsFor(13, 6), 2, 'at most nominal / handSize');
});

t.test('requests are classified, queued per level, rejected when their level is full, and exempt ones always run', async (t) => {
  const clock = new FakeClock();
  const d = new Dispatcher({
    serverConcurrencyLimit: 4, clock, requestWaitLimitMs: 10_000,
    configuration: {
      priorityLevels: [exempt, limited('node-high', 1, { queues: 4, handSize: 2, queueLengthLimit: 1 }), limited('global-default', 1, { queues: 4, handSize: 1, queueLengthLimit: 1 })],
      flowSchemas: [fs('exempt', 1, 'exempt', 'system:masters'), fs('system-nodes', 500, 'node-high', 'system:nodes'), fs('global-default', 9900, 'global-default', 'system:authenticated')],
    },
  });
  const list = requestAttributes('GET', '/api/v1/namespaces/default/configmaps');
  const user = { name: 'flooder', groups: ['system:authenticated'] };
  const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const results: Admission[] = [];
  const pending = Array.from({ length: 4 }, () => d.handle(list, user, () => 1).then((a) => { results.push(a); return a; }));
  await Promise.resolve(); await Promise.resolve();
  // global-default has 2 seats (4 * 1/2); the flow's one queue holds one more; the fourth is refused.
  t.equal(results.filter((r) => r.admitted).length, 2);
  const refused = results.find((r) => !r.admitted);
  t.same(refused && !refused.admitted && { reason: refused.reason, fs: refused.flowSchemaUid, pl: refused.priorityLevelUid },
    { reason: 'queue-full', fs: 'uid-global-default', pl: 'uid-global-default' });

  const nodeAdmission = await d.handle(list, node, () => 1);
  t.ok(nodeAdmission.admitted, 'the node is served from its own level');
  t.equal(nodeAdmission.priorityLevelName, 'node-high');

  const master = await d.handle(list, { name: 'admin', groups: ['system:masters'] }, () => 1);
  t.ok(master.admitted && master.seats === 0, 'exempt: no seat taken');
  t.match(master.priorityLevelUid, /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'an object without a uid gets one derived from its name');

  const first = results.find((r) => r.admitted);
  if (first?.admitted) first.release();
  t.ok((await pending[2]!).admitted, 'the queued request runs once a seat is released');
});

t.test('aborting a waiting request takes it out of the queue as cancelled', async (t) => {
  const clock = new FakeClock();
  const d = new Dispatcher({
    serverConcurrencyLimit: 1, clock, requestWaitLimitMs: 10_000,
    configuration: { priorityLevels: [limited('global-default', 1, { queues: 4, handSize: 1, queueLengthLimit: 10 })], flowSchemas: [fs('global-default', 9900, 'global-default', '*')] },
  });
  const attrs = requestAttributes('POST', '/api/v1/namespaces/default/configmaps');
  const user = { name: 'u', groups: [] };
  const running = await d.handle(attrs, user, () => 1);
  const ac = new AbortController();
  const waiting = d.handle(attrs, user, () => 1, { signal: ac.signal });
  ac.abort();
  const w = await waiting;
  t.same(!w.admitted && w.reason, 'cancelled');
  const next = d.handle(attrs, user, () => 1);
  if (running.admitted) running.release();
  t.ok((await next).admitted, 'the cancelled request held no seat and no place');
});

t.test('a new configuration resizes levels; requests already running finish in the old queue set', async (t) => {
  const clock = new FakeClock();
  const cfg = (shares: number) => ({ priorityLevels: [limited('a', shares, { queues: 2, handSize: 1, queueLengthLimit: 5 }), limited('b', 1, { queues: 2, handSize: 1, queueLengthLimit: 5 })], flowSchemas: [fs('a', 1, 'a', '*')] });
  const d = new Dispatcher({ serverConcurrencyLimit: 10, clock, requestWaitLimitMs: 10_000, configuration: cfg(1) });
  t.equal(d.priorityLevel('a')?.nominalConcurrencyLimit, 5);
  const running = await d.handle(requestAttributes('GET', '/api/v1/pods'), { name: 'u', groups: [] }, () => 1);
  d.setConfiguration(cfg(4));
  t.equal(d.priorityLevel('a')?.nominalConcurrencyLimit, 8);
  if (running.admitted) running.release();
  t.pass('releasing into the replaced queue set does not throw');
});

t.test('the time a request waited for its seats and the time it held them are reported apart', async (t) => {
  const clock = new FakeClock();
  const waited: [string, boolean, number][] = [];
  const executed: [string, number][] = [];
  const noop = () => undefined;
  const d = new Dispatcher({
    serverConcurrencyLimit: 1, clock, requestWaitLimitMs: 10_000,
    metrics: {
      rejected: noop, inQueue: noop, executingSeats: noop, dispatched: noop, nominalLimitSeats: noop,
      waited: (pl, _fs, ok, seconds) => waited.push([pl, ok, seconds]),
      executed: (pl, _fs, seconds) => executed.push([pl, seconds]),
    },
    configuration: {
      priorityLevels: [limited('global-default', 1, { queues: 4, handSize: 1, queueLengthLimit: 5 })],
      flowSchemas: [fs('global-default', 9900, 'global-default', 'system:authenticated')],
    },
  });
  const list = requestAttributes('GET', '/api/v1/namespaces/default/configmaps');
  const user = { name: 'u', groups: ['system:authenticated'] };
  const first = await d.handle(list, user, () => 1);
  const second = d.handle(list, user, () => 1);
  await clock.step(2000);
  if (first.admitted) first.release();
  const admitted = await second;
  await clock.step(500);
  if (admitted.admitted) admitted.release();
  t.same(waited, [['global-default', true, 0], ['global-default', true, 2]], 'the second waited until the first finished');
  t.same(executed, [['global-default', 2], ['global-default', 0.5]]);
});
