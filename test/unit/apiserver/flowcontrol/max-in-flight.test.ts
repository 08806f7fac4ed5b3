import t from 'tap';
import { MaxInFlightLimiter } from '../../../../pkg/apiserver/flowcontrol/max-in-flight.js';

const user = { name: 'alice', groups: ['system:authenticated'] };
const master = { name: 'admin', groups: ['system:masters'] };

t.test('reads and writes have separate limits; a released seat is reusable once', async (t) => {
  const l = new MaxInFlightLimiter(2, 1);
  const r1 = l.tryAcquire('readOnly', user);
  const r2 = l.tryAcquire('readOnly', user);
  t.ok(r1 && r2);
  t.equal(l.tryAcquire('readOnly', user), undefined, 'third read refused');
  const w1 = l.tryAcquire('mutating', user);
  t.ok(w1, 'writes are not blocked by reads');
  t.equal(l.tryAcquire('mutating', user), undefined);
  r1!(); r1!();
  t.same(l.inFlight, { readOnly: 1, mutating: 1 }, 'releasing twice frees one seat');
  t.ok(l.tryAcquire('readOnly', user));
  t.equal(l.tryAcquire('readOnly', user), undefined);
});

t.test('system:masters is served beyond the limit, uncounted; 0 means unlimited', async (t) => {
  const l = new MaxInFlightLimiter(1, 0);
  t.ok(l.tryAcquire('readOnly', user));
  t.ok(l.tryAcquire('readOnly', master));
  t.same(l.inFlight, { readOnly: 1, mutating: 0 });
  for (let i = 0; i < 50; i++) t.ok(l.tryAcquire('mutating', user));
});
