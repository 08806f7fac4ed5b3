// Which strategy serves which resource. Kinds without their own get the generic one:
// label and annotation checks only, the store doing the rest.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/meta.js';
import type { Strategy } from '../strategy.js';
import { daemonSetStrategy } from './apps/daemon-set.js';
import { deploymentStrategy } from './apps/deployment.js';
import { replicaSetStrategy } from './apps/replica-set.js';
import { statefulSetStrategy } from './apps/stateful-set.js';
import { horizontalPodAutoscalerStrategy } from './autoscaling/horizontal-pod-autoscaler.js';
import { cronJobStrategy } from './batch/cron-job.js';
import { jobStrategy } from './batch/job.js';
import { configMapStrategy } from './core/config-map.js';
import { namespaceStrategy } from './core/namespace.js';
import { nodeStrategy } from './core/node.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './core/persistent-volume-claim.js';
import { podStrategy } from './core/pod.js';
import { secretStrategy } from './core/secret.js';
import { serviceStrategy } from './core/service.js';
import { validateObjectMeta } from './object-meta-validation.js';
import { podDisruptionBudgetStrategy } from './policy/pod-disruption-budget.js';
import { priorityClassStrategy } from './scheduling/priority-class.js';
import { flowSchemaStrategy } from './flowcontrol/flow-schema.js';
import { priorityLevelConfigurationStrategy } from './flowcontrol/priority-level-configuration.js';

export const genericStrategy: Strategy = {
  validate: (obj: KubeObject) => validateObjectMeta(obj.metadata),
  validateUpdate: (obj: KubeObject) => validateObjectMeta(obj.metadata),
};

// Strategies are typed per kind; the store hands each only objects of its own kind.
const BY_RESOURCE: Record<string, Strategy> = {
  '/pods': podStrategy as Strategy,
  '/services': serviceStrategy as Strategy,
  '/namespaces': namespaceStrategy as Strategy,
  '/nodes': nodeStrategy as Strategy,
  '/configmaps': configMapStrategy as Strategy,
  '/secrets': secretStrategy as Strategy,
  '/persistentvolumeclaims': persistentVolumeClaimStrategy as Strategy,
  '/persistentvolumes': persistentVolumeStrategy as Strategy,
  'apps/deployments': deploymentStrategy as Strategy,
  'apps/replicasets': replicaSetStrategy as Strategy,
  'apps/statefulsets': statefulSetStrategy as Strategy,
  'apps/daemonsets': daemonSetStrategy as Strategy,
  'batch/jobs': jobStrategy as Strategy,
  'batch/cronjobs': cronJobStrategy as Strategy,
  'policy/poddisruptionbudgets': podDisruptionBudgetStrategy as Strategy,
  'scheduling.k8s.io/priorityclasses': priorityClassStrategy as Strategy,
  'flowcontrol.apiserver.k8s.io/flowschemas': flowSchemaStrategy as Strategy,
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': priorityLevelConfigurationStrategy as Strategy,
};

export function strategyFor(res: ResourceInfo): Strategy {
  if (res.group === 'autoscaling' && res.plural === 'horizontalpodautoscalers') {
    return horizontalPodAutoscalerStrategy(res.version) as Strategy;
  }
  return BY_RESOURCE[`${res.group}/${res.plural}`] ?? genericStrategy;
}
