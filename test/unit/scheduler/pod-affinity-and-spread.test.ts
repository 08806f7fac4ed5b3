import t from 'tap';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, type NodeScore } from '../../../pkg/scheduler/framework/types.js';
import { interPodAffinity } from '../../../pkg/scheduler/plugins/inter-pod-affinity.js';
import { podTopologySpread } from '../../../pkg/scheduler/plugins/pod-topology-spread.js';
import type { SchedulerPlugin } from '../../../pkg/scheduler/framework/types.js';
import { makeNode, makePod } from './make-objects.js';

const zoneNodes = () => [
  makeNode('a1', { labels: { zone: 'a' } }),
  makeNode('a2', { labels: { zone: 'a' } }),
  makeNode('b1', { labels: { zone: 'b' } }),
];

function filterAll(plugin: SchedulerPlugin, pod: Pod, nodes: Node[], existingPods: Pod[]): Record<string, string> {
  const infos = nodes.map((n) => new NodeInfo(n, existingPods.filter((p) => p.spec?.nodeName === n.metadata?.name)));
  const state = new CycleState();
  state.nodes = infos;
  const pre = plugin.preFilter!(state, pod, infos);
  const out: Record<string, string> = {};
  for (const info of infos) {
    const s = pre.code === 'Skip' ? pre : plugin.filter!(state, pod, info);
    out[info.name] = [s.code, ...s.reasons].join(': ');
  }
  return out;
}

function scoreAll(plugin: SchedulerPlugin, pod: Pod, nodes: Node[], existingPods: Pod[]): Record<string, number> {
  const infos = nodes.map((n) => new NodeInfo(n, existingPods.filter((p) => p.spec?.nodeName === n.metadata?.name)));
  const state = new CycleState();
  state.nodes = infos;
  if (plugin.preScore!(state, pod, infos).code === 'Skip') return {};
  const scores: NodeScore[] = infos.map((i) => ({ name: i.name, score: plugin.score!(state, pod, i) }));
  plugin.normalizeScore?.(state, pod, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}

const term = (app: string, topologyKey: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey });

t.test('InterPodAffinity filter', async (t) => {
  const OK = 'Success';
  const cases: { name: string; pod: Pod; existingPods: Pod[]; want: Record<string, string> }[] = [
    {
      name: 'required affinity to a zone holding a matching pod',
      pod: makePod('p', { spec: { containers: [], affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } } }),
      existingPods: [makePod('db', { labels: { app: 'db' }, nodeName: 'a2' })],
      want: { a1: OK, a2: OK, b1: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules" },
    },
    {
      name: 'the first pod of a self-affine group may go anywhere',
      pod: makePod('p', { labels: { app: 'web' }, spec: { containers: [], affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } }),
      existingPods: [],
      want: { a1: OK, a2: OK, b1: OK },
    },
    {
      name: 'required anti-affinity by hostname',
      pod: makePod('p', { spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } } } }),
      existingPods: [makePod('w', { labels: { app: 'web' }, nodeName: 'a1' })],
      want: { a1: "Unschedulable: node(s) didn't match pod anti-affinity rules", a2: OK, b1: OK },
    },
    {
      name: "existing pods' anti-affinity keeps the pod out of their zone",
      pod: makePod('p', { labels: { app: 'web' } }),
      existingPods: [makePod('w', { nodeName: 'b1', spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } })],
      want: { a1: OK, a2: OK, b1: "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules" },
    },
    {
      name: 'nothing to check (no terms, no placed anti-affinity matching the pod): Skip, as upstream when no pod has terms',
      pod: makePod('p', { labels: { app: 'api' } }),
      existingPods: [makePod('w', { nodeName: 'b1', spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } })],
      want: { a1: 'Skip', a2: 'Skip', b1: 'Skip' },
    },
    {
      name: 'terms match only the pod namespace by default',
      pod: makePod('p', { spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } }),
      existingPods: [makePod('w', { namespace: 'other', labels: { app: 'web' }, nodeName: 'a1' })],
      want: { a1: OK, a2: OK, b1: OK },
    },
  ];
  for (const c of cases) t.same(filterAll(interPodAffinity(), c.pod, zoneNodes(), c.existingPods), c.want, c.name);
});

t.test('InterPodAffinity score: preferred affinity and anti-affinity by zone', async (t) => {
  const pod = makePod('p', {
    spec: {
      containers: [],
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('cache', 'zone') }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('web', 'kubernetes.io/hostname') }] },
      },
    },
  });
  const existing = [makePod('c', { labels: { app: 'cache' }, nodeName: 'a1' }), makePod('w', { labels: { app: 'web' }, nodeName: 'a2' })];
  // raw: a1 10, a2 10 - 5 = 5, b1 0 → min-max scaled
  t.same(scoreAll(interPodAffinity(), pod, zoneNodes(), existing), { a1: 100, a2: 50, b1: 0 });
});

const spread = (whenUnsatisfiable: string, maxSkew = 1) => ({ maxSkew, topologyKey: 'zone', whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } } });

t.test('PodTopologySpread filter (DoNotSchedule)', async (t) => {
  const web = (name: string, nodeName: string) => makePod(name, { labels: { app: 'web' }, nodeName });
  const pod = (maxSkew: number) => makePod('p', { labels: { app: 'web' }, spec: { containers: [], topologySpreadConstraints: [spread('DoNotSchedule', maxSkew)] } });
  const NOT_MATCH = "Unschedulable: node(s) didn't match pod topology spread constraints";
  t.same(filterAll(podTopologySpread(), pod(1), zoneNodes(), [web('w1', 'a1')]), { a1: NOT_MATCH, a2: NOT_MATCH, b1: 'Success' }, 'zone a has one more');
  t.same(filterAll(podTopologySpread(), pod(2), zoneNodes(), [web('w1', 'a1')]), { a1: 'Success', a2: 'Success', b1: 'Success' }, 'maxSkew 2 allows it');
  t.same(
    filterAll(podTopologySpread(), pod(1), [...zoneNodes(), makeNode('x')], []),
    { a1: 'Success', a2: 'Success', b1: 'Success', x: "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)" },
    'a node without the topology key',
  );
  t.same(filterAll(podTopologySpread(), makePod('p'), zoneNodes(), []), { a1: 'Skip', a2: 'Skip', b1: 'Skip' }, 'no constraints: skipped');
});

t.test('PodTopologySpread score (ScheduleAnyway) prefers the emptier zone', async (t) => {
  const pod = makePod('p', { labels: { app: 'web' }, spec: { containers: [], topologySpreadConstraints: [spread('ScheduleAnyway')] } });
  const existing = [makePod('w1', { labels: { app: 'web' }, nodeName: 'a1' }), makePod('w2', { labels: { app: 'web' }, nodeName: 'a2' })];
  // zone a: 2 pods × ln(2 + 2) ≈ 2.77 → 3; zone b: 0 → 100 × (3 + 0 − s) / 3
  t.same(scoreAll(podTopologySpread(), pod, zoneNodes(), existing), { a1: 0, a2: 0, b1: 100 });
});
