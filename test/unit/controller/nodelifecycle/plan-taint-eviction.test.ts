import t from 'tap';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { planTaintEviction } from '../../../../pkg/controller/nodelifecycle/plan-taint-eviction.js';

const T0 = Date.UTC(2024, 0, 1);
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:10Z' };
const start = (taint: { timeAdded?: string }) => Date.parse(taint.timeAdded ?? '');
const tol = (key: string, seconds?: number): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) });

t.test('eviction timing', async (t) => {
  const now = T0 + 1_000;
  const cases: { name: string; taints: Taint[]; tolerations: Toleration[]; want: unknown }[] = [
    { name: 'no taints: stays', taints: [], tolerations: [], want: { action: 'none' } },
    { name: 'NoSchedule taints never evict', taints: [{ key: 'x', effect: 'NoSchedule' }], tolerations: [], want: { action: 'none' } },
    { name: 'untolerated NoExecute: at once', taints: [unreachable], tolerations: [], want: { action: 'evict', atMs: now } },
    { name: 'tolerated forever: stays', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable')], want: { action: 'none' } },
    { name: 'tolerationSeconds counts from timeAdded', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable', 2)], want: { action: 'evict', atMs: T0 + 2_000 } },
    { name: 'the earliest deadline of several taints wins', taints: [unreachable, notReady], tolerations: [tol('node.kubernetes.io/not-ready', 1), tol('node.kubernetes.io/unreachable', 300)], want: { action: 'evict', atMs: T0 + 11_000 } },
    { name: 'one untolerated taint among tolerated ones: at once', taints: [unreachable, notReady], tolerations: [tol('node.kubernetes.io/unreachable', 300)], want: { action: 'evict', atMs: now } },
    { name: 'a wildcard toleration (operator Exists, no key) tolerates everything', taints: [unreachable, notReady], tolerations: [{ operator: 'Exists' }], want: { action: 'none' } },
    { name: 'negative tolerationSeconds mean zero', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable', -5)], want: { action: 'evict', atMs: T0 } },
    { name: 'Equal operator needs the same value', taints: [{ key: 'k', value: 'a', effect: 'NoExecute' }], tolerations: [{ key: 'k', value: 'b', effect: 'NoExecute' }], want: { action: 'evict', atMs: now } },
  ];
  for (const c of cases) t.same(planTaintEviction(c.taints, c.tolerations, start, now), c.want, c.name);
});
