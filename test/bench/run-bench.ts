// `npm run bench`: every benchmark, each printing its figures next to the baseline measured in
// the same run. Pick some with arguments: `npm run bench -- apiserver`.
import { runApiServerBench, runFanOutBench } from './apiserver-bench.js';
import { runClusterBench } from './cluster-bench.js';
import { runKubeletBench } from './kubelet-bench.js';
import { runFloodBench } from './flood-bench.js';
import { runHostileBench } from './hostile-bench.js';
import { runSchedulerBench } from './scheduler-bench.js';
import { printFigures, type Figure } from './bench-report.js';

const benches: Record<string, { title: string; run: () => Promise<Figure[]> }> = {
  apiserver: { title: 'kube-apiserver', run: runApiServerBench },
  fanout: { title: 'kube-apiserver watch fan-out alone (part of apiserver)', run: runFanOutBench },
  kubelet: { title: 'kubelet on real Docker', run: runKubeletBench },
  cluster: { title: 'whole cluster', run: runClusterBench },
  flood: { title: 'kube-apiserver under a flood (priority and fairness)', run: runFloodBench },
  hostile: { title: 'kube-apiserver under hostile input (issue 14)', run: runHostileBench },
  scheduler: { title: 'kube-scheduler: 10,000 pods on 1,000 kwok nodes', run: runSchedulerBench },
};

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(benches).filter((b) => b !== 'fanout' && b !== 'hostile');
process.stdout.write(`tskube benchmarks on ${process.versions.node} node, ${(await import('node:os')).cpus().length} cores\n`);
for (const name of chosen) {
  const bench = benches[name];
  if (!bench) { process.stderr.write(`unknown bench ${name}; known: ${Object.keys(benches).join(', ')}\n`); process.exit(2); }
  printFigures(bench.title, await bench.run());
}
