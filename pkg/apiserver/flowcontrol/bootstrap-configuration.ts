// The priority and fairness configuration every apiserver creates when it is missing
// (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go, flowcontrol/v1): the mandatory
// objects (exempt, catch-all) and the suggested ones, with the specs upstream's defaulting
// leaves unchanged. The dispatcher reads them as its configuration until the stored objects
// are known; the apiserver stores them at start (ensureBootstrapConfiguration).
import type { Logger } from 'pino';
import type {
  FlowSchema, FlowSchemaCondition, PolicyRulesWithSubjects, PriorityLevelConfiguration, PriorityLevelConfigurationSpec, ResourcePolicyRule, Subject,
} from 'kubernetes-types/flowcontrol/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Stores } from '../stores.js';

/** Set to "true" on every bootstrap object: the apiserver may keep its spec up to date. */
export const AUTO_UPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

export const FLOWCONTROL_API_VERSION = 'flowcontrol.apiserver.k8s.io/v1';

type Named<T> = T & { metadata: { name: string; annotations: Record<string, string> } };
export type BootstrapFlowSchema = Named<FlowSchema> & { spec: NonNullable<FlowSchema['spec']> };
export type BootstrapPriorityLevel = Named<PriorityLevelConfiguration> & { spec: PriorityLevelConfigurationSpec };

// Well-known users and groups (k8s.io/apiserver/pkg/authentication/user).
const SYSTEM_PRIVILEGED_GROUP = 'system:masters';
const NODES_GROUP = 'system:nodes';
const ALL_UNAUTHENTICATED = 'system:unauthenticated';
const ALL_AUTHENTICATED = 'system:authenticated';
const KUBE_CONTROLLER_MANAGER = 'system:kube-controller-manager';
const KUBE_SCHEDULER = 'system:kube-scheduler';
const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

function priorityLevel(name: string, spec: PriorityLevelConfigurationSpec): BootstrapPriorityLevel {
  return {
    apiVersion: FLOWCONTROL_API_VERSION, kind: 'PriorityLevelConfiguration',
    metadata: { name, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } }, spec,
  };
}

function limited(nominalConcurrencyShares: number, lendablePercent: number,
  queuing?: { queues: number; handSize: number; queueLengthLimit: number }): PriorityLevelConfigurationSpec {
  return {
    type: 'Limited',
    limited: {
      nominalConcurrencyShares, lendablePercent,
      limitResponse: queuing ? { type: 'Queue', queuing } : { type: 'Reject' },
    },
  };
}

function flowSchema(name: string, priorityLevelName: string, matchingPrecedence: number,
  distinguisher: 'ByUser' | 'ByNamespace' | undefined, ...rules: PolicyRulesWithSubjects[]): BootstrapFlowSchema {
  return {
    apiVersion: FLOWCONTROL_API_VERSION, kind: 'FlowSchema',
    metadata: { name, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } },
    spec: {
      priorityLevelConfiguration: { name: priorityLevelName }, matchingPrecedence,
      ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}),
      rules,
    },
  };
}

const groups = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): Subject[] => names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemServiceAccounts = (...names: string[]): Subject[] =>
  names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { name, namespace: 'kube-system' } }));

function resourceRule(verbs: string[], apiGroups: string[], resources: string[], namespaces: string[], clusterScope: boolean): ResourcePolicyRule {
  return { verbs, apiGroups, resources, ...(clusterScope ? { clusterScope } : {}), namespaces };
}

/** Every request of the subjects: all verbs, groups, resources, namespaces and non-resource URLs. */
function everything(subjects: Subject[]): PolicyRulesWithSubjects {
  return {
    subjects,
    resourceRules: [resourceRule(['*'], ['*'], ['*'], ['*'], true)],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  };
}

// Mandatory PriorityLevelConfigurations.
export const MANDATORY_PRIORITY_LEVEL_EXEMPT = priorityLevel('exempt', {
  type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 },
});
export const MANDATORY_PRIORITY_LEVEL_CATCH_ALL = priorityLevel('catch-all', limited(5, 0));

// Mandatory FlowSchemas.
export const MANDATORY_FLOW_SCHEMA_EXEMPT = flowSchema('exempt', 'exempt', 1, undefined, everything(groups(SYSTEM_PRIVILEGED_GROUP)));
export const MANDATORY_FLOW_SCHEMA_CATCH_ALL = flowSchema('catch-all', 'catch-all', 10000, 'ByUser',
  everything(groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED)));

export const MANDATORY_PRIORITY_LEVEL_CONFIGURATIONS: readonly BootstrapPriorityLevel[] = [
  MANDATORY_PRIORITY_LEVEL_CATCH_ALL, MANDATORY_PRIORITY_LEVEL_EXEMPT,
];
export const MANDATORY_FLOW_SCHEMAS: readonly BootstrapFlowSchema[] = [MANDATORY_FLOW_SCHEMA_EXEMPT, MANDATORY_FLOW_SCHEMA_CATCH_ALL];

export const SUGGESTED_PRIORITY_LEVEL_CONFIGURATIONS: readonly BootstrapPriorityLevel[] = [
  // The system components that keep the cluster and its pods running (kubelets, kube-proxy).
  priorityLevel('system', limited(30, 33, { queues: 64, handSize: 6, queueLengthLimit: 50 })),
  // Node health reporting, apart from "system" so nodes stay Ready while pods start en masse.
  priorityLevel('node-high', limited(40, 25, { queues: 64, handSize: 6, queueLengthLimit: 50 })),
  priorityLevel('leader-election', limited(10, 0, { queues: 16, handSize: 4, queueLengthLimit: 50 })),
  priorityLevel('workload-high', limited(40, 50, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
  priorityLevel('workload-low', limited(100, 90, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
  // Everything the other suggested schemas do not claim.
  priorityLevel('global-default', limited(20, 50, { queues: 128, handSize: 6, queueLengthLimit: 50 })),
];

export const SUGGESTED_FLOW_SCHEMAS: readonly BootstrapFlowSchema[] = [
  flowSchema('system-nodes', 'system', 500, 'ByUser', everything(groups(NODES_GROUP))),
  flowSchema('system-node-high', 'node-high', 400, 'ByUser', {
    subjects: groups(NODES_GROUP),
    resourceRules: [
      resourceRule(['*'], [''], ['nodes', 'nodes/status'], ['*'], true),
      resourceRule(['*'], ['coordination.k8s.io'], ['leases'], ['*'], false),
    ],
  }),
  flowSchema('probes', 'exempt', 2, undefined, {
    subjects: groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED),
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }],
  }),
  flowSchema('system-leader-election', 'leader-election', 100, 'ByUser', {
    subjects: [...users(KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER), ...kubeSystemServiceAccounts('*')],
    resourceRules: [resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'], false)],
  }),
  flowSchema('workload-leader-election', 'leader-election', 200, 'ByUser', {
    subjects: kubeSystemServiceAccounts('*'),
    resourceRules: [resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'], false)],
  }),
  flowSchema('endpoint-controller', 'workload-high', 150, 'ByUser', {
    subjects: [...users(KUBE_CONTROLLER_MANAGER), ...kubeSystemServiceAccounts('endpoint-controller', 'endpointslicemirroring-controller')],
    resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints'], ['*'], false)],
  }),
  flowSchema('kube-controller-manager', 'workload-high', 800, 'ByNamespace', everything(users(KUBE_CONTROLLER_MANAGER))),
  flowSchema('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything(users(KUBE_SCHEDULER))),
  flowSchema('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', everything(kubeSystemServiceAccounts('*'))),
  flowSchema('service-accounts', 'workload-low', 9000, 'ByUser', everything(groups(ALL_SERVICE_ACCOUNTS_GROUP))),
  flowSchema('global-default', 'global-default', 9900, 'ByUser', everything(groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED))),
];

/** What the apiserver starts with: mandatory first, then suggested. */
export const BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS: readonly BootstrapPriorityLevel[] = [
  ...MANDATORY_PRIORITY_LEVEL_CONFIGURATIONS, ...SUGGESTED_PRIORITY_LEVEL_CONFIGURATIONS,
];
export const BOOTSTRAP_FLOW_SCHEMAS: readonly BootstrapFlowSchema[] = [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS];

/**
 * The FlowSchema condition upstream's configuration controller keeps: Dangling False when the
 * referenced priority level exists, True when it does not.
 */
export function danglingCondition(priorityLevelName: string, exists: boolean, now: Date): FlowSchemaCondition {
  return exists
    ? { type: 'Dangling', status: 'False', lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: 'Found',
      message: `This FlowSchema references the PriorityLevelConfiguration object named "${priorityLevelName}" and it exists` }
    : { type: 'Dangling', status: 'True', lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: 'NotFound',
      message: `This FlowSchema references the PriorityLevelConfiguration object named "${priorityLevelName}" but there is no such object` };
}

const GROUP = 'flowcontrol.apiserver.k8s.io';

/**
 * Creates the bootstrap objects that are missing (as upstream's apiserver does at start) and
 * writes each FlowSchema's Dangling condition where it is absent or no longer true.
 */
export async function ensureBootstrapConfiguration(stores: Stores, log: Logger, now = new Date()): Promise<void> {
  const levels = stores.preferred(GROUP, 'prioritylevelconfigurations');
  const schemas = stores.preferred(GROUP, 'flowschemas');
  if (!levels || !schemas) return;
  const create = async (store: typeof levels, obj: KubeObject): Promise<void> => {
    try {
      await store.create('', structuredClone(obj));
      log.info({ kind: obj.kind, name: obj.metadata?.name }, 'created bootstrap flowcontrol object');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  };
  for (const pl of BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS) await create(levels, pl as unknown as KubeObject);
  for (const fs of BOOTSTRAP_FLOW_SCHEMAS) await create(schemas, fs as unknown as KubeObject);

  const existing = new Set((await levels.list(undefined, {})).items.map((o) => o.metadata?.name ?? ''));
  for (const item of (await schemas.list(undefined, {})).items) {
    const fs = item as FlowSchema & KubeObject;
    const plName = fs.spec?.priorityLevelConfiguration?.name ?? '';
    const want = danglingCondition(plName, existing.has(plName), now);
    const conditions = fs.status?.conditions ?? [];
    const have = conditions.find((c) => c.type === 'Dangling');
    if (have && have.status === want.status && have.reason === want.reason && have.message === want.message) continue;
    const status = { ...fs.status, conditions: [...conditions.filter((c) => c.type !== 'Dangling'), want] };
    try {
      await schemas.update('', fs.metadata?.name ?? '', { ...fs, status }, { subresource: 'status' });
    } catch (e) {
      // Someone else wrote it meanwhile: the next start (or the controller) sets it.
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }
}
