import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { newFramework } from '../../../pkg/scheduler/framework/registry.js';
import { CycleState, NodeInfo } from '../../../pkg/scheduler/framework/types.js';
import { pickOneNodeForPreemption, preempt } from '../../../pkg/scheduler/preemption.js';
import { makeNode, makePod } from './make-objects.js';

function run(pod: Pod, nodes: { name: string; cpu: string; pods: Pod[] }[]) {
  const fwk = newFramework({ bind: async () => {} });
  const infos = nodes.map((n) => new NodeInfo(makeNode(n.name, { cpu: n.cpu }), n.pods.map((p) => ({ ...p, spec: { ...p.spec!, nodeName: n.name } }))));
  const state = new CycleState();
  const res = fwk.schedulePod(state, pod, infos);
  if (res.ok) throw new Error('expected the pod not to fit');
  return preempt(fwk, state, pod, infos, res.fitError.diagnosis.nodeToStatus, Date.parse('2024-01-01T00:00:00Z'));
}

t.test('victims are the minimal lower-priority set, reprieving the most important first', async (t) => {
  const out = run(makePod('p', { cpu: '1', priority: 10 }), [
    { name: 'n1', cpu: '2', pods: [makePod('low1', { cpu: '1', priority: 1 }), makePod('low2', { cpu: '1', priority: 2 })] },
  ]);
  t.equal(out.candidate?.nodeName, 'n1');
  t.same(out.candidate?.victims.map((v) => v.metadata?.name), ['low1']);
});

t.test('candidate choice', async (t) => {
  const cases: { name: string; pod: Pod; nodes: { name: string; cpu: string; pods: Pod[] }[]; want: { node: string; victims: string[] } }[] = [
    {
      name: 'lowest highest-priority victim wins',
      pod: makePod('p', { cpu: '1', priority: 10 }),
      nodes: [
        { name: 'n1', cpu: '1', pods: [makePod('a', { cpu: '1', priority: 5 })] },
        { name: 'n2', cpu: '1', pods: [makePod('b', { cpu: '1', priority: 3 })] },
      ],
      want: { node: 'n2', victims: ['b'] },
    },
    {
      name: 'then the smaller priority sum',
      pod: makePod('p', { cpu: '2', priority: 10 }),
      nodes: [
        { name: 'n1', cpu: '2', pods: [makePod('a1', { cpu: '1', priority: 5 }), makePod('a2', { cpu: '1', priority: 5 })] },
        { name: 'n2', cpu: '2', pods: [makePod('b1', { cpu: '1', priority: 5 }), makePod('b2', { cpu: '1', priority: 1 })] },
      ],
      want: { node: 'n2', victims: ['b1', 'b2'] },
    },
    {
      name: 'then fewer victims',
      pod: makePod('p', { cpu: '2', priority: 10 }),
      nodes: [
        { name: 'n1', cpu: '2', pods: [makePod('a1', { cpu: '1', priority: 0 }), makePod('a2', { cpu: '1', priority: 0 })] },
        { name: 'n2', cpu: '2', pods: [makePod('b1', { cpu: '2', priority: 0 })] },
      ],
      want: { node: 'n2', victims: ['b1'] },
    },
    {
      name: 'then the node whose highest-priority victims started last',
      pod: makePod('p', { cpu: '1', priority: 10 }),
      nodes: [
        { name: 'n1', cpu: '1', pods: [makePod('old', { cpu: '1', priority: 0, startTime: '2023-01-01T00:00:00Z' })] },
        { name: 'n2', cpu: '1', pods: [makePod('new', { cpu: '1', priority: 0, startTime: '2023-06-01T00:00:00Z' })] },
      ],
      want: { node: 'n2', victims: ['new'] },
    },
  ];
  for (const c of cases) {
    const out = run(c.pod, c.nodes);
    t.same({ node: out.candidate?.nodeName, victims: out.candidate?.victims.map((v) => v.metadata?.name) }, c.want, c.name);
  }
});

t.test('no candidate: nodes that preemption cannot help and nodes without victims', async (t) => {
  const fwk = newFramework({ bind: async () => {} });
  const infos = [
    new NodeInfo(makeNode('n1', { cpu: '1', taints: [{ key: 'k', effect: 'NoSchedule' }] })),
    new NodeInfo(makeNode('n2', { cpu: '1' }), [makePod('same', { cpu: '1', priority: 10, nodeName: 'n2' })]),
    new NodeInfo(makeNode('n3', { cpu: '1' }), [makePod('other', { cpu: '100m', priority: 0, nodeName: 'n3' })]),
  ];
  const pod = makePod('p', { cpu: '2', priority: 10 });
  const state = new CycleState();
  const res = fwk.schedulePod(state, pod, infos);
  if (res.ok) throw new Error('expected no fit');
  const out = preempt(fwk, state, pod, infos, res.fitError.diagnosis.nodeToStatus);
  t.equal(out.candidate, undefined);
  t.same(out.status.reasons, ['0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.']);
});

t.test('pickOneNodeForPreemption keeps the first on a full tie', async (t) => {
  const v = makePod('v', { priority: 1 });
  t.equal(pickOneNodeForPreemption([{ nodeName: 'a', victims: [v], numPDBViolations: 0 }, { nodeName: 'b', victims: [v], numPDBViolations: 0 }])?.nodeName, 'a');
});
