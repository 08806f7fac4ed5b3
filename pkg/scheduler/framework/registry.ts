// Plugin name → factory, and the default profile's enabled plugins and score weights
// (apis/config/v1 default_plugins.go, minus volume plugins and the queue sort).
import { DEFAULT_BINDER, defaultBinder, type BindFunc } from '../plugins/default-binder.js';
import { IMAGE_LOCALITY, imageLocality } from '../plugins/image-locality.js';
import { INTER_POD_AFFINITY, interPodAffinity, type NamespaceLabels } from '../plugins/inter-pod-affinity.js';
import { NODE_AFFINITY, nodeAffinity } from '../plugins/node-affinity.js';
import { NODE_NAME, nodeName } from '../plugins/node-name.js';
import { NODE_PORTS, nodePorts } from '../plugins/node-ports.js';
import { NODE_RESOURCES_BALANCED_ALLOCATION, nodeResourcesBalancedAllocation } from '../plugins/node-resources-balanced-allocation.js';
import { NODE_RESOURCES_FIT, nodeResourcesFit } from '../plugins/node-resources-fit.js';
import { NODE_UNSCHEDULABLE, nodeUnschedulable } from '../plugins/node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD, podTopologySpread } from '../plugins/pod-topology-spread.js';
import { TAINT_TOLERATION, taintToleration } from '../plugins/taint-toleration.js';
import { DEFAULT_PREEMPTION, defaultPreemption } from '../preemption.js';
import { Framework, type FrameworkOptions, type WeightedPlugin } from './runtime.js';
import type { SchedulerPlugin } from './types.js';

/** What factories may need from the scheduler around them. */
export interface Handle {
  bind: BindFunc;
  namespaceLabels?: NamespaceLabels;
  /** The framework being built; plugins that re-run filters (preemption) call it lazily. */
  framework: () => Framework;
}

export type PluginFactory = (handle: Handle) => SchedulerPlugin;

export function defaultRegistry(): Map<string, PluginFactory> {
  return new Map<string, PluginFactory>([
    [NODE_UNSCHEDULABLE, () => nodeUnschedulable()],
    [NODE_NAME, () => nodeName()],
    [TAINT_TOLERATION, () => taintToleration()],
    [NODE_AFFINITY, () => nodeAffinity()],
    [NODE_PORTS, () => nodePorts()],
    [NODE_RESOURCES_FIT, () => nodeResourcesFit()],
    [POD_TOPOLOGY_SPREAD, () => podTopologySpread()],
    [INTER_POD_AFFINITY, (h) => interPodAffinity(h.namespaceLabels ? { namespaceLabels: h.namespaceLabels } : {})],
    [DEFAULT_PREEMPTION, (h) => defaultPreemption(h.framework)],
    [NODE_RESOURCES_BALANCED_ALLOCATION, () => nodeResourcesBalancedAllocation()],
    [IMAGE_LOCALITY, () => imageLocality()],
    [DEFAULT_BINDER, (h) => defaultBinder(h.bind)],
  ]);
}

/** Enabled plugins in upstream order; the weight applies where the plugin scores. */
export const DEFAULT_PROFILE: readonly { name: string; weight: number }[] = [
  { name: NODE_UNSCHEDULABLE, weight: 0 },
  { name: NODE_NAME, weight: 0 },
  { name: TAINT_TOLERATION, weight: 3 },
  { name: NODE_AFFINITY, weight: 2 },
  { name: NODE_PORTS, weight: 0 },
  { name: NODE_RESOURCES_FIT, weight: 1 },
  { name: POD_TOPOLOGY_SPREAD, weight: 2 },
  { name: INTER_POD_AFFINITY, weight: 2 },
  { name: DEFAULT_PREEMPTION, weight: 0 },
  { name: NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
  { name: IMAGE_LOCALITY, weight: 1 },
  { name: DEFAULT_BINDER, weight: 0 },
];

export function newFramework(
  handle: Omit<Handle, 'framework'>,
  opts: FrameworkOptions & { profile?: readonly { name: string; weight: number }[]; registry?: Map<string, PluginFactory> } = {},
): Framework {
  const registry = opts.registry ?? defaultRegistry();
  let fwk: Framework | undefined;
  const full: Handle = { ...handle, framework: () => fwk! };
  const plugins: WeightedPlugin[] = (opts.profile ?? DEFAULT_PROFILE).map(({ name, weight }) => {
    const factory = registry.get(name);
    if (!factory) throw new Error(`plugin "${name}" does not exist`);
    return { plugin: factory(full), weight };
  });
  fwk = new Framework(plugins, opts);
  return fwk;
}
