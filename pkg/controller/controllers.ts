// kube-controller-manager's registry: each controller's upstream name and the function that
// builds it from the shared ControllerContext. `--controllers` picks from these names.
import type { ControllerContext } from './controller-context.js';
import type { Controller } from './run-controller.js';
import { ReplicaSetController } from './replicaset/replica-set-controller.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.js';
import { TaintEvictionController } from './nodelifecycle/taint-eviction-controller.js';
import { ServiceAccountsController } from './serviceaccount/service-account-controller.js';

export type ControllerInitFn = (ctx: ControllerContext) => Controller;

/** One line per controller, keyed by Kubernetes' controller name. */
export const CONTROLLER_INITIALIZERS: Readonly<Record<string, ControllerInitFn>> = {
  replicaset: (ctx) => ReplicaSetController.fromContext(ctx),
  deployment: (ctx) => DeploymentController.fromContext(ctx),
  garbagecollector: (ctx) => new GarbageCollector(ctx),
  namespace: (ctx) => new NamespaceController(ctx),
  nodelifecycle: (ctx) => new NodeLifecycleController(ctx),
  'taint-eviction-controller': (ctx) => new TaintEvictionController(ctx),
  serviceaccount: (ctx) => new ServiceAccountsController(ctx),
};

/**
 * The controllers `--controllers` enables (upstream IsControllerEnabled): a list of names,
 * `*` for every controller on by default, `-name` to turn one off; an explicit name or
 * `-name` beats `*`. Unknown names are an error, as upstream's validation says.
 */
export function enabledControllers(flag: readonly string[], known: readonly string[] = Object.keys(CONTROLLER_INITIALIZERS)): string[] {
  const items = flag.map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    const name = item.startsWith('-') ? item.slice(1) : item;
    if (name !== '*' && !known.includes(name)) throw new Error(`"${name}" is not in the list of known controllers`);
  }
  const star = items.includes('*');
  return known.filter((name) => {
    if (items.includes(`-${name}`)) return false;
    if (items.includes(name)) return true;
    return star;
  });
}
