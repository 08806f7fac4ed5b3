import t from 'tap';
import type { Node } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../../../pkg/client/fake-clock.js';
import {
  desiredNodeTaints, isHealthExpired, observeNodeHealth, reconcileNodeTaints, unknownNodeConditions,
} from '../../../../pkg/controller/nodelifecycle/node-health.js';

const GRACE = { monitorMs: 40_000, startupMs: 60_000 };
const readyCond = (status: string, hb: string) => ({ type: 'Ready', status, lastHeartbeatTime: hb });

t.test('a node whose lease keeps being renewed stays healthy; one that stops goes stale after the grace period', async (t) => {
  const clock = new FakeClock();
  const ready = readyCond('True', '2024-01-01T00:00:00Z');
  let h = observeNodeHealth(undefined, { creationTimestamp: '2024-01-01T00:00:00Z', ready, leaseRenewTime: '2024-01-01T00:00:00.000000Z' }, clock.now());
  for (let i = 1; i <= 10; i++) {
    await clock.step(10_000);
    h = observeNodeHealth(h, { creationTimestamp: undefined, ready, leaseRenewTime: new Date(clock.now()).toISOString() }, clock.now());
    t.notOk(isHealthExpired(h, true, clock.now(), GRACE), `renewed at ${i * 10}s`);
  }
  await clock.step(40_000);
  h = observeNodeHealth(h, { creationTimestamp: undefined, ready, leaseRenewTime: h.leaseRenewTime }, clock.now());
  t.notOk(isHealthExpired(h, true, clock.now(), GRACE), 'exactly the grace period: not yet');
  await clock.step(1);
  t.ok(isHealthExpired(h, true, clock.now(), GRACE), 'one ms past the grace period');
});

t.test('a changed status heartbeat also counts as a sign of life; an old renewTime does not', async (t) => {
  let h = observeNodeHealth(undefined, { creationTimestamp: undefined, ready: readyCond('True', 'a'), leaseRenewTime: '2024-01-01T00:00:10Z' }, 0);
  h = observeNodeHealth(h, { creationTimestamp: undefined, ready: readyCond('True', 'b'), leaseRenewTime: '2024-01-01T00:00:10Z' }, 30_000);
  t.equal(h.probeTimestampMs, 30_000);
  h = observeNodeHealth(h, { creationTimestamp: undefined, ready: readyCond('True', 'b'), leaseRenewTime: '2024-01-01T00:00:05Z' }, 50_000);
  t.equal(h.probeTimestampMs, 30_000, 'a renewTime going backwards is no renewal');
});

t.test('a node that never posted status is timed from its creation with the startup grace period', async (t) => {
  const created = Date.UTC(2024, 0, 1);
  const h = observeNodeHealth(undefined, { creationTimestamp: '2024-01-01T00:00:00Z', ready: undefined, leaseRenewTime: undefined }, created + 30_000);
  t.equal(h.probeTimestampMs, created);
  t.notOk(isHealthExpired(h, false, created + 60_000, GRACE));
  t.ok(isHealthExpired(h, false, created + 60_001, GRACE));
});

t.test('conditions go Unknown with upstream reasons, keeping heartbeats; missing ones are added', async (t) => {
  const node: Node = {
    metadata: { name: 'n1', creationTimestamp: '2024-01-01T00:00:00Z' },
    status: { conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: 'hb', lastTransitionTime: 'old' },
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: 'hb', lastTransitionTime: 'old' },
    ] },
  };
  const got = unknownNodeConditions(node, 'now')!;
  t.same(got.find((c) => c.type === 'Ready'), { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: 'hb', lastTransitionTime: 'now' });
  t.same(got.find((c) => c.type === 'DiskPressure'), { type: 'DiskPressure', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: 'now' });
  t.same(got.map((c) => c.type), ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']);
  t.equal(unknownNodeConditions({ ...node, status: { conditions: got } }, 'later'), undefined, 'already Unknown: nothing to write');
});

t.test('taints follow the Ready condition and pressure conditions; others are left alone', async (t) => {
  const node = (ready: string, extra: Partial<Node['spec']> = {}, more: { type: string; status: string }[] = []): Node => ({
    metadata: { name: 'n' }, spec: { ...extra }, status: { conditions: [{ type: 'Ready', status: ready }, ...more] },
  });
  t.same(desiredNodeTaints(node('Unknown')), [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
  t.same(desiredNodeTaints(node('False')), [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
  t.same(desiredNodeTaints(node('True', { unschedulable: true }, [{ type: 'DiskPressure', status: 'True' }])),
    [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);

  const user = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
  const unreachable = reconcileNodeTaints([user], desiredNodeTaints(node('Unknown')), 't1')!;
  t.same(unreachable, [user, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: 't1' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: 't1' }]);
  t.equal(reconcileNodeTaints(unreachable, desiredNodeTaints(node('Unknown')), 't2'), undefined, 'unchanged: timeAdded kept, nothing to write');
  const notReady = reconcileNodeTaints(unreachable, desiredNodeTaints(node('False')), 't3')!;
  t.same(notReady.map((x) => `${x.key}:${x.effect}`), ['dedicated:NoSchedule', 'node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute'], 'unreachable swapped for not-ready');
  t.same(reconcileNodeTaints(notReady, desiredNodeTaints(node('True')), 't4'), [user], 'recovered: controller taints removed');
});
