// The admission plugins that mutate pods on create: ServiceAccount (default account name),
// DefaultTolerationSeconds and Priority. They need other objects, hence StrategyContext.
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { errors } from '../../../api/errors.js';
import type { StrategyContext } from '../../strategy.js';

export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const DEFAULT_NOT_READY_TOLERATION_SECONDS = 300;
export const DEFAULT_UNREACHABLE_TOLERATION_SECONDS = 300;

const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Priority classes the apiserver bootstraps; used when they were not (yet) stored. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

export function admitServiceAccount(pod: Pod): void {
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  const spec = pod.spec ??= { containers: [] };
  spec.serviceAccountName ||= spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT_NAME;
  // v1 keeps the deprecated field as a mirror of the real one.
  spec.serviceAccount = spec.serviceAccountName;
}

export function admitDefaultTolerationSeconds(pod: Pod): void {
  const spec = pod.spec ??= { containers: [] };
  const tolerations = spec.tolerations ?? [];
  // An empty key or effect tolerates every key or effect, as in the upstream plugin.
  const tolerates = (key: string) => tolerations.some((t) =>
    (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added: Toleration[] = [];
  if (!tolerates(TAINT_NOT_READY)) {
    added.push({ key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_NOT_READY_TOLERATION_SECONDS });
  }
  if (!tolerates(TAINT_UNREACHABLE)) {
    added.push({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_UNREACHABLE_TOLERATION_SECONDS });
  }
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

/** Resolves spec.priority and spec.preemptionPolicy from the pod's PriorityClass. */
export async function admitPriority(pod: Pod, ctx: StrategyContext): Promise<void> {
  const spec = pod.spec ??= { containers: [] };
  const podName = pod.metadata?.name ?? '';
  const forbidden = (why: string) => errors.forbidden({ group: '', resource: 'pods' }, podName, why);
  let priority = 0;
  let preemptionPolicy = 'PreemptLowerPriority';
  const className = spec.priorityClassName;
  if (className) {
    const pc = await ctx.get('scheduling.k8s.io', 'priorityclasses', '', className) as PriorityClass | undefined;
    if (pc) {
      priority = pc.value;
      preemptionPolicy = pc.preemptionPolicy ?? preemptionPolicy;
    } else if (className in SYSTEM_PRIORITY_CLASSES) {
      priority = SYSTEM_PRIORITY_CLASSES[className] ?? 0;
    } else {
      throw forbidden(`no PriorityClass with name ${className} was found`);
    }
  }
  // TODO: a pod without a class should take the globalDefault class; that needs a list,
  // which StrategyContext does not offer yet, so such pods get priority 0.
  if (spec.priority !== undefined && spec.priority !== priority) {
    throw forbidden(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== preemptionPolicy) {
    throw forbidden(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemptionPolicy} from the given PriorityClass name`);
  }
  spec.priority = priority;
  spec.preemptionPolicy = preemptionPolicy;
}
