// Two LeaderElectors on one Lease over HTTP (fake server), with short durations.
import t from 'tap';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { LeaderElector } from '../../../pkg/client/leader-election.js';
import { startFakeApiServer } from './fake-api-server.js';

const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

t.test('one leader at a time; the standby takes over only once the dead leader\'s lease has expired', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  t.teardown(async () => { await client.destroy(); await server.close(); });
  const leading = new Set<string>();
  let bothLed = false;
  const candidate = (identity: string) => {
    const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'test', identity, releaseOnCancel: false, ...timing });
    const ac = new AbortController();
    let startedAt = 0;
    const done = elector.run({
      signal: ac.signal,
      onStartedLeading: (signal) => {
        leading.add(identity); startedAt = Date.now();
        if (leading.size > 1) bothLed = true;
        signal.addEventListener('abort', () => leading.delete(identity));
      },
    });
    return { elector, ac, done, startedAt: () => startedAt };
  };
  const a = candidate('a');
  while (leading.size === 0) await new Promise((r) => setTimeout(r, 20));
  const b = candidate('b');
  await new Promise((r) => setTimeout(r, 2500));
  t.same([...leading], ['a'], 'the standby waits while the leader renews');

  // "Kill" a: stop renewing without releasing.
  const killedAt = Date.now();
  a.ac.abort();
  await a.done;
  while (!leading.has('b')) await new Promise((r) => setTimeout(r, 20));
  // The leader's last renewal was at most a retry period before it died, and the standby
  // waits a whole lease duration from when it saw that renewal: never sooner. (How much later
  // depends on the machine's load, so there is no upper bound here; the loop above is the
  // check that it happens at all.)
  const takeover = b.startedAt() - killedAt;
  t.ok(takeover >= timing.leaseDurationMs - timing.retryPeriodMs, `took over ${takeover} ms after the leader died`);
  t.notOk(bothLed);
  const lease = await client.resource('leases').get('kube-system', 'test');
  t.equal(lease.spec?.holderIdentity, 'b');
  t.equal(lease.spec?.leaseTransitions, 1);
  t.equal(lease.spec?.leaseDurationSeconds, 2);
  t.match(lease.spec?.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');

  b.ac.abort();
  await b.done;
});

t.test('a clean shutdown releases the lease so the standby leads at once', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  t.teardown(async () => { await client.destroy(); await server.close(); });
  const a = new LeaderElector({ client, namespace: 'ns', name: 'l', identity: 'a', ...timing });
  const acA = new AbortController();
  let aLed = false;
  let aStopped = false;
  const doneA = a.run({ signal: acA.signal, onStartedLeading: () => { aLed = true; }, onStoppedLeading: () => { aStopped = true; } });
  while (!aLed) await new Promise((r) => setTimeout(r, 20));
  const b = new LeaderElector({ client, namespace: 'ns', name: 'l', identity: 'b', ...timing });
  const acB = new AbortController();
  let bLedAt = 0;
  const doneB = b.run({ signal: acB.signal, onStartedLeading: () => { bLedAt = Date.now(); } });
  await new Promise((r) => setTimeout(r, 500));
  const stoppedAt = Date.now();
  acA.abort();
  await doneA;
  t.ok(aStopped, 'onStoppedLeading called');
  while (!bLedAt) await new Promise((r) => setTimeout(r, 20));
  t.ok(bLedAt - stoppedAt < timing.leaseDurationMs, `standby led ${bLedAt - stoppedAt} ms after release`);
  acB.abort();
  await doneB;
});

t.test('a leader that cannot renew within renewDeadline stops leading', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  t.teardown(() => client.destroy());
  const a = new LeaderElector({ client, namespace: 'ns', name: 'l', identity: 'a', ...timing });
  let lost = false;
  let started = false;
  const done = a.run({ signal: new AbortController().signal, onStartedLeading: (s) => { started = true; s.addEventListener('abort', () => { lost = true; }); } });
  while (!started) await new Promise((r) => setTimeout(r, 20));
  await server.close();
  await done;
  t.ok(lost, 'the leading signal was aborted');
});
