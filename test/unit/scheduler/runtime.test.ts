import t from 'tap';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { newFramework } from '../../../pkg/scheduler/framework/registry.js';
import { fitErrorMessage, numFeasibleNodesToFind, type ScheduleResult } from '../../../pkg/scheduler/framework/runtime.js';
import { Code, CycleState, NodeInfo, newStatus } from '../../../pkg/scheduler/framework/types.js';
import { makeNode, makePod } from './make-objects.js';

function schedule(pod: Pod, nodes: Node[], existingPods: Pod[]): { result: ScheduleResult; message: string; postFilter?: string } {
  const fwk = newFramework({ bind: async () => {} }, { random: () => 0 });
  const infos = nodes.map((n) => new NodeInfo(n, existingPods.filter((p) => p.spec?.nodeName === n.metadata?.name)));
  const state = new CycleState();
  const result = fwk.schedulePod(state, pod, infos);
  if (result.ok) return { result, message: '' };
  const post = fwk.runPostFilterPlugins(state, pod, result.fitError.diagnosis.nodeToStatus);
  result.fitError.diagnosis.postFilterMsg = post.status.reasons.join(', ');
  return { result, message: fitErrorMessage(result.fitError) };
}

const controlPlane = () => makeNode('cp', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });

t.test('FitError message counts and sorts reasons as upstream, with the preemption suffix', async (t) => {
  const nodes = [controlPlane(), makeNode('w1', { cpu: '2' }), makeNode('w2', { cpu: '2' })];
  const existing = [makePod('a', { cpu: '1', nodeName: 'w1' }), makePod('b', { cpu: '1', nodeName: 'w2' })];
  const { result, message } = schedule(makePod('p', { cpu: '2' }), nodes, existing);
  t.equal(result.ok, false);
  t.equal(
    message,
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..',
  );
});

t.test('FitError without PostFilter; reasons sort as strings ("10 ..." before "2 ...")', async (t) => {
  const nodeToStatus = new Map<string, ReturnType<typeof newStatus>>();
  for (let i = 0; i < 10; i++) nodeToStatus.set(`a${i}`, newStatus(Code.Unschedulable, 'Insufficient memory'));
  nodeToStatus.set('b0', newStatus(Code.Unschedulable, 'Insufficient cpu', 'Too many pods'));
  nodeToStatus.set('b1', newStatus(Code.Unschedulable, 'Insufficient cpu'));
  const msg = fitErrorMessage({ pod: makePod('p'), numAllNodes: 12, diagnosis: { nodeToStatus, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' } });
  t.equal(msg, '0/12 nodes are available: 1 Too many pods, 10 Insufficient memory, 2 Insufficient cpu.');
  const pre = fitErrorMessage({ pod: makePod('p'), numAllNodes: 2, diagnosis: { nodeToStatus, unschedulablePlugins: new Set(), preFilterMsg: 'pod affinity terms conflict', postFilterMsg: '' } });
  t.equal(pre, '0/2 nodes are available: pod affinity terms conflict.', 'a PreFilter rejection is said once');
});

t.test('default profile picks the least loaded feasible node', async (t) => {
  const nodes = [controlPlane(), makeNode('w1', { cpu: '4' }), makeNode('w2', { cpu: '4' })];
  const existing = [makePod('a', { cpu: '3', memory: '1Gi', nodeName: 'w1' })];
  const { result } = schedule(makePod('p', { cpu: '1', memory: '1Gi' }), nodes, existing);
  t.same(result.ok && { host: result.suggestedHost, feasible: result.feasibleNodes, evaluated: result.evaluatedNodes }, { host: 'w2', feasible: 2, evaluated: 3 });
});

t.test('preferred node affinity outweighs resources', async (t) => {
  const nodes = [makeNode('w1', { cpu: '4', labels: { disk: 'ssd' } }), makeNode('w2', { cpu: '4' })];
  const existing = [makePod('a', { cpu: '2', nodeName: 'w1' })];
  const pod = makePod('p', {
    cpu: '1',
    spec: { containers: [], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } },
  });
  const { result } = schedule(pod, nodes, existing);
  t.equal(result.ok && result.suggestedHost, 'w1');
});

t.test('a pod with priority preempts: PostFilter returns the nominated node and no message', async (t) => {
  const fwk = newFramework({ bind: async () => {} }, { random: () => 0 });
  const infos = [new NodeInfo(makeNode('w1', { cpu: '1' }), [makePod('low', { cpu: '1', nodeName: 'w1', priority: 0 })])];
  const pod = makePod('p', { cpu: '1', priority: 1000 });
  const state = new CycleState();
  const result = fwk.schedulePod(state, pod, infos);
  t.equal(result.ok, false);
  if (result.ok) return;
  const post = fwk.runPostFilterPlugins(state, pod, result.fitError.diagnosis.nodeToStatus);
  t.equal(post.status.code, 'Success');
  t.equal(post.result?.nominatedNodeName, 'w1');
  t.same(post.result?.victims?.map((v) => v.metadata?.name), ['low']);
  t.equal(fitErrorMessage(result.fitError), '0/1 nodes are available: 1 Insufficient cpu.');
});

t.test('preemptionPolicy Never', async (t) => {
  const nodes = [makeNode('w1', { cpu: '1' })];
  const { message } = schedule(makePod('p', { cpu: '2', priority: 10, spec: { containers: [], preemptionPolicy: 'Never' } }), nodes, []);
  t.equal(message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..');
});

t.test('ties are broken by the injected random source', async (t) => {
  const nodes = [makeNode('w1'), makeNode('w2'), makeNode('w3')].map((n) => new NodeInfo(n));
  const pick = (r: number) => {
    const fwk = newFramework({ bind: async () => {} }, { random: () => r });
    const res = fwk.schedulePod(new CycleState(), makePod('p'), nodes);
    return res.ok ? res.suggestedHost : '';
  };
  t.equal(pick(0), 'w3', 'reservoir sampling replaces on every tie when random is 0');
  t.equal(pick(0.99), 'w1');
});

t.test('numFeasibleNodesToFind: all of a small cluster, an adaptive share of a big one, at least 100', async (t) => {
  const cases: { nodes: number; percentage?: number; want: number }[] = [
    { nodes: 0, want: 0 },
    { nodes: 10, want: 10 },
    { nodes: 99, want: 99 },
    // Adaptive: 50% - nodes/125, at least 5%, and never fewer than 100 nodes.
    { nodes: 100, want: 100 },
    { nodes: 199, want: 100 },
    { nodes: 1000, want: 420 },
    { nodes: 5000, want: 500 },
    { nodes: 6000, want: 300 },
    { nodes: 10_000, want: 500 },
    { nodes: 15_000, want: 750 },
    // Configured percentageOfNodesToScore.
    { nodes: 1000, percentage: 30, want: 300 },
    { nodes: 1000, percentage: 5, want: 100 },
    { nodes: 1000, percentage: 100, want: 1000 },
    { nodes: 50, percentage: 10, want: 50 },
  ];
  for (const c of cases) t.equal(numFeasibleNodesToFind(c.nodes, c.percentage), c.want, `${c.nodes} nodes, percentage ${c.percentage ?? 'adaptive'}`);
});

t.test('a big cluster is filtered until enough feasible nodes are found, starting where the last cycle stopped', async (t) => {
  const fwk = newFramework({ bind: async () => {} }, { random: () => 0 });
  const infos = Array.from({ length: 1000 }, (_, i) => new NodeInfo(makeNode(`n${i}`, { cpu: i % 2 === 0 ? '4' : '100m' })));
  const first = fwk.schedulePod(new CycleState(), makePod('p1', { cpu: '1' }), infos);
  // Every other node lacks cpu: 420 feasible ones are found among the first 839.
  t.same(first.ok && { evaluated: first.evaluatedNodes, feasible: first.feasibleNodes }, { evaluated: 839, feasible: 420 });
  const second = fwk.schedulePod(new CycleState(), makePod('p2', { cpu: '1' }), infos);
  // From n839 (odd) on, wrapping round: 80 even nodes in n839..n999, 340 more in n0..n678.
  t.same(second.ok && { evaluated: second.evaluatedNodes, feasible: second.feasibleNodes }, { evaluated: 161 + 679, feasible: 420 });
  const fewer = fwk.schedulePod(new CycleState(), makePod('p3', { cpu: '1' }), infos.slice(0, 150));
  t.same(fewer.ok && { evaluated: fewer.evaluatedNodes, feasible: fewer.feasibleNodes }, { evaluated: 150, feasible: 75 }, 'under the minimum: every node');
});
