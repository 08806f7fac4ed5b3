import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, computePodRequests } from '../../../pkg/scheduler/framework/types.js';
import { nodeResourcesFit } from '../../../pkg/scheduler/plugins/node-resources-fit.js';
import { nodeResourcesBalancedAllocation } from '../../../pkg/scheduler/plugins/node-resources-balanced-allocation.js';
import { imageLocality } from '../../../pkg/scheduler/plugins/image-locality.js';
import { makeNode, makePod, type NodeOpts } from './make-objects.js';

const c = (name: string, cpu: string, memory: string, restartPolicy?: string) => ({
  name, image: 'busybox:1.35', resources: { requests: { cpu, memory } }, ...(restartPolicy ? { restartPolicy } : {}),
});

t.test('pod requests: max(sum of containers, each init container) + overhead', async (t) => {
  const cases: { name: string; pod: Pod; want: { milliCpu: number; memory: number } }[] = [
    { name: 'containers summed', pod: makePod('p', { containers: [c('a', '100m', '1Gi'), c('b', '200m', '1Gi')] }), want: { milliCpu: 300, memory: 2 * 2 ** 30 } },
    {
      name: 'a bigger init container wins per resource',
      pod: makePod('p', { containers: [c('a', '100m', '1Gi'), c('b', '200m', '1Gi')], spec: { containers: [], initContainers: [c('i1', '500m', '512Mi'), c('i2', '250m', '1Gi')] } }),
      want: { milliCpu: 500, memory: 2 * 2 ** 30 },
    },
    {
      name: 'overhead is added',
      pod: makePod('p', { containers: [c('a', '100m', '1Gi')], spec: { containers: [], overhead: { cpu: '10m', memory: '1Mi' } } }),
      want: { milliCpu: 110, memory: 2 ** 30 + 2 ** 20 },
    },
    {
      name: 'restartable init containers (sidecars) run beside later init containers and the app',
      pod: makePod('p', { containers: [c('a', '300m', '1Gi')], spec: { containers: [], initContainers: [c('side', '100m', '100Mi', 'Always'), c('i', '500m', '1Mi')] } }),
      want: { milliCpu: 600, memory: 2 ** 30 + 100 * 2 ** 20 },
    },
  ];
  for (const tc of cases) {
    const r = computePodRequests(tc.pod);
    t.same({ milliCpu: r.milliCpu, memory: r.memory }, tc.want, tc.name);
  }
  const empty = computePodRequests(makePod('p'), { nonZero: true });
  t.same([empty.milliCpu, empty.memory], [100, 200 * 2 ** 20], 'non-zero defaults for a pod without requests');
});

t.test('NodeResourcesFit filter', async (t) => {
  const cases: { name: string; pod: Pod; node: NodeOpts; existingPods: Pod[]; want: string[] }[] = [
    { name: 'fits', pod: makePod('p', { cpu: '1', memory: '1Gi' }), node: { cpu: '2', memory: '2Gi' }, existingPods: [makePod('e', { cpu: '1', memory: '1Gi' })], want: ['Success'] },
    { name: 'cpu short', pod: makePod('p', { cpu: '1500m' }), node: { cpu: '2' }, existingPods: [makePod('e', { cpu: '1' })], want: ['Unschedulable', 'Insufficient cpu'] },
    {
      name: 'cpu and memory short',
      pod: makePod('p', { cpu: '2', memory: '2Gi' }),
      node: { cpu: '2', memory: '2Gi' },
      existingPods: [makePod('e', { cpu: '1', memory: '1Gi' })],
      want: ['Unschedulable', 'Insufficient cpu', 'Insufficient memory'],
    },
    { name: 'too many pods', pod: makePod('p'), node: { pods: '1' }, existingPods: [makePod('e')], want: ['Unschedulable', 'Too many pods'] },
    { name: 'a pod without requests fits a full node', pod: makePod('p'), node: { cpu: '1' }, existingPods: [makePod('e', { cpu: '1' })], want: ['Success'] },
  ];
  const plugin = nodeResourcesFit();
  for (const tc of cases) {
    const state = new CycleState();
    plugin.preFilter!(state, tc.pod, []);
    const s = plugin.filter!(state, tc.pod, new NodeInfo(makeNode('n1', tc.node), tc.existingPods));
    t.same([s.code, ...s.reasons], tc.want, tc.name);
  }
});

t.test('scores: LeastAllocated, BalancedAllocation', async (t) => {
  const cases: { name: string; pod: Pod; node: NodeOpts; existingPods: Pod[]; want: { least: number; balanced: number } }[] = [
    { name: 'half used', pod: makePod('p', { cpu: '1', memory: '2Gi' }), node: { cpu: '4', memory: '8Gi' }, existingPods: [makePod('e', { cpu: '1', memory: '2Gi' })], want: { least: 50, balanced: 100 } },
    { name: 'unbalanced', pod: makePod('p', { cpu: '1', memory: '1Gi' }), node: { cpu: '4', memory: '8Gi' }, existingPods: [makePod('e', { cpu: '1', memory: '1Gi' })], want: { least: 62, balanced: 87 } },
    { name: 'empty pod on an empty node uses non-zero defaults for LeastAllocated', pod: makePod('p'), node: { cpu: '1', memory: '1Gi' }, existingPods: [], want: { least: 85, balanced: 100 } },
  ];
  const fit = nodeResourcesFit();
  const balanced = nodeResourcesBalancedAllocation();
  for (const tc of cases) {
    const info = new NodeInfo(makeNode('n1', tc.node), tc.existingPods);
    t.same({ least: fit.score!(new CycleState(), tc.pod, info), balanced: balanced.score!(new CycleState(), tc.pod, info) }, tc.want, tc.name);
  }
});

t.test('ImageLocality scales image size by spread', async (t) => {
  const MB = 2 ** 20;
  const plugin = imageLocality();
  const state = new CycleState();
  const nodes = [new NodeInfo(makeNode('n1')), new NodeInfo(makeNode('n2'))];
  state.nodes = nodes;
  nodes[0]!.imageStates.set('big:latest', { sizeBytes: 500 * MB, numNodes: 1 });
  nodes[1]!.imageStates.set('busybox:1.35', { sizeBytes: 10 * MB, numNodes: 1 });
  const pod = makePod('p', { containers: [{ name: 'c', image: 'big' }] });
  t.equal(plugin.score!(state, pod, nodes[0]!), 23, '250 MB effective: 100 × (250 − 23) / (1000 − 23)');
  t.equal(plugin.score!(state, pod, nodes[1]!), 0, 'image absent');
  t.equal(plugin.score!(state, makePod('q'), nodes[1]!), 0, 'below the 23 MB threshold');
});
