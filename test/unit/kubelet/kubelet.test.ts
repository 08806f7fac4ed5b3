// needsSync (config.go podsDifferSemantically): which pod updates make the kubelet sync.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { needsSync } from '../../../pkg/kubelet/kubelet.js';

const base: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '1', labels: { app: 'a' }, annotations: { note: 'x' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] },
  status: { phase: 'Pending' },
};
const gated: Pod = { ...base, spec: { ...base.spec!, readinessGates: [{ conditionType: 'example.com/gate' }] } };
const withStatus = (p: Pod, status: NonNullable<Pod['status']>): Pod => ({ ...p, metadata: { ...p.metadata, resourceVersion: '2' }, status });

t.test('needsSync', async (t) => {
  const table: { name: string; old: Pod; pod: Pod; want: boolean }[] = [
    { name: 'status only (our own write coming back)', old: base, pod: withStatus(base, { phase: 'Running', podIP: '10.0.0.1' }), want: false },
    { name: 'the same object again (a resync)', old: base, pod: base, want: false },
    { name: 'spec', old: base, pod: { ...base, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } }, want: true },
    { name: 'labels', old: base, pod: { ...base, metadata: { ...base.metadata, labels: { app: 'b' } } }, want: true },
    { name: 'annotations', old: base, pod: { ...base, metadata: { ...base.metadata, annotations: {} } }, want: true },
    { name: 'deletion', old: base, pod: { ...base, metadata: { ...base.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } }, want: true },
    {
      name: 'a shorter grace period', old: { ...base, metadata: { ...base.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } },
      pod: { ...base, metadata: { ...base.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 } }, want: true,
    },
    {
      name: 'a readiness gate condition someone else set', old: gated,
      pod: withStatus(gated, { phase: 'Pending', conditions: [{ type: 'example.com/gate', status: 'True' }] }), want: true,
    },
    {
      name: 'status of a gated pod, gate unchanged', old: withStatus(gated, { conditions: [{ type: 'example.com/gate', status: 'True' }] }),
      pod: withStatus(gated, { phase: 'Running', conditions: [{ type: 'example.com/gate', status: 'True' }, { type: 'Ready', status: 'True' }] }), want: false,
    },
  ];
  for (const { name, old, pod, want } of table) t.equal(needsSync(old, pod), want, name);
});
