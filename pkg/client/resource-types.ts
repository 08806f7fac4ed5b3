// Which kubernetes-types type each served resource carries, keyed by plural, so
// `client.resource('pods')` is a ResourceClient<Pod>. One table, not one client per kind.
import type * as core from 'kubernetes-types/core/v1.js';
import type * as apps from 'kubernetes-types/apps/v1.js';
import type * as batch from 'kubernetes-types/batch/v1.js';
import type * as autoscaling from 'kubernetes-types/autoscaling/v2.js';
import type * as policy from 'kubernetes-types/policy/v1.js';
import type * as coordination from 'kubernetes-types/coordination/v1.js';
import type * as discovery from 'kubernetes-types/discovery/v1.js';
import type * as scheduling from 'kubernetes-types/scheduling/v1.js';
import type * as rbac from 'kubernetes-types/rbac/v1.js';
import type * as flowcontrol from 'kubernetes-types/flowcontrol/v1.js';

export interface ResourceTypes {
  namespaces: core.Namespace;
  pods: core.Pod;
  bindings: core.Binding;
  nodes: core.Node;
  services: core.Service;
  endpoints: core.Endpoints;
  configmaps: core.ConfigMap;
  secrets: core.Secret;
  events: core.Event;
  serviceaccounts: core.ServiceAccount;
  resourcequotas: core.ResourceQuota;
  limitranges: core.LimitRange;
  persistentvolumes: core.PersistentVolume;
  persistentvolumeclaims: core.PersistentVolumeClaim;
  deployments: apps.Deployment;
  replicasets: apps.ReplicaSet;
  statefulsets: apps.StatefulSet;
  daemonsets: apps.DaemonSet;
  controllerrevisions: apps.ControllerRevision;
  jobs: batch.Job;
  cronjobs: batch.CronJob;
  horizontalpodautoscalers: autoscaling.HorizontalPodAutoscaler;
  poddisruptionbudgets: policy.PodDisruptionBudget;
  leases: coordination.Lease;
  endpointslices: discovery.EndpointSlice;
  priorityclasses: scheduling.PriorityClass;
  roles: rbac.Role;
  rolebindings: rbac.RoleBinding;
  clusterroles: rbac.ClusterRole;
  clusterrolebindings: rbac.ClusterRoleBinding;
  flowschemas: flowcontrol.FlowSchema;
  prioritylevelconfigurations: flowcontrol.PriorityLevelConfiguration;
}

export type ResourceName = keyof ResourceTypes;
