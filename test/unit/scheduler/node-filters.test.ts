import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, type Status } from '../../../pkg/scheduler/framework/types.js';
import { filterNodeUnschedulable } from '../../../pkg/scheduler/plugins/node-unschedulable.js';
import { filterNodeName } from '../../../pkg/scheduler/plugins/node-name.js';
import { filterNodeAffinity, nodeAffinity, scoreNodeAffinity } from '../../../pkg/scheduler/plugins/node-affinity.js';
import { countIntolerableTaintsPreferNoSchedule, filterTaintToleration, taintToleration } from '../../../pkg/scheduler/plugins/taint-toleration.js';
import { nodePorts } from '../../../pkg/scheduler/plugins/node-ports.js';
import { makeNode, makePod, type NodeOpts } from './make-objects.js';

const reasons = (s: Status) => [s.code, ...s.reasons];

t.test('NodeUnschedulable', async (t) => {
  const cases: { name: string; pod: Pod; node: NodeOpts; want: string[] }[] = [
    { name: 'schedulable node', pod: makePod('p'), node: {}, want: ['Success'] },
    { name: 'cordoned node', pod: makePod('p'), node: { unschedulable: true }, want: ['UnschedulableAndUnresolvable', 'node(s) were unschedulable'] },
    {
      name: 'cordoned node, pod tolerates the unschedulable taint',
      pod: makePod('p', { spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
      node: { unschedulable: true },
      want: ['Success'],
    },
  ];
  for (const c of cases) t.same(reasons(filterNodeUnschedulable(c.pod, makeNode('n1', c.node))), c.want, c.name);
});

t.test('NodeName', async (t) => {
  t.same(reasons(filterNodeName(makePod('p'), 'n1')), ['Success'], 'no nodeName fits anywhere');
  t.same(reasons(filterNodeName(makePod('p', { nodeName: 'n1' }), 'n1')), ['Success'], 'same node');
  t.same(reasons(filterNodeName(makePod('p', { nodeName: 'n2' }), 'n1')), ['UnschedulableAndUnresolvable', "node(s) didn't match the requested node name"], 'other node');
});

t.test('NodeAffinity filter', async (t) => {
  const MISMATCH = ['UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector"];
  const node = makeNode('n1', { labels: { zone: 'a', gen: '5', disk: 'ssd' } });
  const required = (...exprs: { key: string; operator: string; values?: string[] }[]) =>
    makePod('p', { spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] } } } } });
  const cases: { name: string; pod: Pod; want: string[] }[] = [
    { name: 'nodeSelector matches', pod: makePod('p', { spec: { containers: [], nodeSelector: { zone: 'a' } } }), want: ['Success'] },
    { name: 'nodeSelector mismatch', pod: makePod('p', { spec: { containers: [], nodeSelector: { zone: 'b' } } }), want: MISMATCH },
    { name: 'In', pod: required({ key: 'zone', operator: 'In', values: ['a', 'b'] }), want: ['Success'] },
    { name: 'NotIn excludes', pod: required({ key: 'zone', operator: 'NotIn', values: ['a'] }), want: MISMATCH },
    { name: 'NotIn on a missing label matches', pod: required({ key: 'rack', operator: 'NotIn', values: ['x'] }), want: ['Success'] },
    { name: 'Exists', pod: required({ key: 'disk', operator: 'Exists' }), want: ['Success'] },
    { name: 'DoesNotExist', pod: required({ key: 'disk', operator: 'DoesNotExist' }), want: MISMATCH },
    { name: 'Gt', pod: required({ key: 'gen', operator: 'Gt', values: ['4'] }), want: ['Success'] },
    { name: 'Lt', pod: required({ key: 'gen', operator: 'Lt', values: ['5'] }), want: MISMATCH },
    { name: 'Gt with a non-integer value matches nothing', pod: required({ key: 'zone', operator: 'Gt', values: ['1'] }), want: MISMATCH },
    { name: 'requirements in a term are ANDed', pod: required({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }), want: MISMATCH },
    {
      name: 'terms are ORed; matchFields metadata.name',
      pod: makePod('p', {
        spec: {
          containers: [],
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
          ] } } },
        },
      }),
      want: ['Success'],
    },
    {
      name: 'an empty term matches nothing',
      pod: makePod('p', { spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } } }),
      want: MISMATCH,
    },
  ];
  for (const c of cases) t.same(reasons(filterNodeAffinity(c.pod, node)), c.want, c.name);
  t.equal(nodeAffinity().preFilter!(new CycleState(), makePod('p'), []).code, 'Skip', 'no selector or affinity: filter skipped');
});

t.test('NodeAffinity score sums matching preferred weights and normalizes to 100', async (t) => {
  const preferred = [
    { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    { weight: 3, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
  ];
  const nodes = [makeNode('n1', { labels: { zone: 'a', disk: 'ssd' } }), makeNode('n2', { labels: { zone: 'a' } }), makeNode('n3')];
  t.same(nodes.map((n) => scoreNodeAffinity(preferred, n)), [8, 5, 0]);
  const scores = nodes.map((n) => ({ name: n.metadata!.name!, score: scoreNodeAffinity(preferred, n) }));
  nodeAffinity().normalizeScore!(new CycleState(), makePod('p'), scores);
  t.same(scores.map((s) => s.score), [100, 62, 0]);
});

t.test('TaintToleration filter', async (t) => {
  const cases: { name: string; taints: NonNullable<NodeOpts['taints']>; tolerations?: Pod['spec'] extends infer S ? S extends { tolerations?: infer T } ? T : never : never; want: string[] }[] = [
    { name: 'no taints', taints: [], want: ['Success'] },
    {
      name: 'control-plane taint with empty value',
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      want: ['UnschedulableAndUnresolvable', 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    },
    { name: 'NoExecute untolerated', taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }], want: ['UnschedulableAndUnresolvable', 'node(s) had untolerated taint {k: v}'] },
    { name: 'PreferNoSchedule does not filter', taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }], want: ['Success'] },
    { name: 'Equal toleration', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }], want: ['Success'] },
    { name: 'Equal with another value', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], tolerations: [{ key: 'k', value: 'w' }], want: ['UnschedulableAndUnresolvable', 'node(s) had untolerated taint {k: v}'] },
    { name: 'Exists with empty key tolerates all', taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }], tolerations: [{ operator: 'Exists' }], want: ['Success'] },
    { name: 'effect must match', taints: [{ key: 'k', effect: 'NoExecute' }], tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }], want: ['UnschedulableAndUnresolvable', 'node(s) had untolerated taint {k: }'] },
  ];
  for (const c of cases) t.same(reasons(filterTaintToleration(c.taints, c.tolerations)), c.want, c.name);
});

t.test('TaintToleration score prefers fewer untolerated PreferNoSchedule taints', async (t) => {
  const soft = (k: string) => ({ key: k, effect: 'PreferNoSchedule' });
  t.equal(countIntolerableTaintsPreferNoSchedule([soft('a'), soft('b')], [{ key: 'a', operator: 'Exists' }]), 1);
  t.equal(countIntolerableTaintsPreferNoSchedule([soft('a')], [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }]), 1, 'a NoSchedule toleration does not count');
  const scores = [{ name: 'n1', score: 0 }, { name: 'n2', score: 1 }, { name: 'n3', score: 2 }];
  taintToleration().normalizeScore!(new CycleState(), makePod('p'), scores);
  t.same(scores.map((s) => s.score), [100, 50, 0]);
});

t.test('NodePorts', async (t) => {
  const withPort = (name: string, hostPort: number, hostIP?: string, protocol?: string) =>
    makePod(name, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }] }] });
  const cases: { name: string; pod: Pod; existingPods: Pod[]; want: string[] }[] = [
    { name: 'free port', pod: withPort('p', 8080), existingPods: [withPort('e', 8081)], want: ['Success'] },
    { name: 'same port', pod: withPort('p', 8080), existingPods: [withPort('e', 8080)], want: ['Unschedulable', "node(s) didn't have free ports for the requested pod ports"] },
    { name: 'other protocol', pod: withPort('p', 8080, undefined, 'UDP'), existingPods: [withPort('e', 8080)], want: ['Success'] },
    { name: 'different specific IPs', pod: withPort('p', 8080, '10.0.0.1'), existingPods: [withPort('e', 8080, '10.0.0.2')], want: ['Success'] },
    { name: '0.0.0.0 conflicts with a specific IP', pod: withPort('p', 8080), existingPods: [withPort('e', 8080, '10.0.0.2')], want: ['Unschedulable', "node(s) didn't have free ports for the requested pod ports"] },
  ];
  const plugin = nodePorts();
  for (const c of cases) {
    const state = new CycleState();
    plugin.preFilter!(state, c.pod, []);
    const info = new NodeInfo(makeNode('n1'), c.existingPods);
    t.same(reasons(plugin.filter!(state, c.pod, info)), c.want, c.name);
  }
  t.equal(plugin.preFilter!(new CycleState(), makePod('p'), []).code, 'Skip', 'no host ports: filter skipped');
});
