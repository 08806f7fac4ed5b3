// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for, with the
// columns and cells upstream's printers produce for each kind.
import type { ListMeta, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { type Printer, type TableColumnDefinition, type TableRowCondition, nameCol, ageCol, name, age } from './tables/printer.js';
import { podPrinter } from './tables/pod-printer.js';
import {
  nodePrinter, namespacePrinter, servicePrinter, endpointsPrinter, configMapPrinter, secretPrinter, serviceAccountPrinter,
  eventPrinter, componentStatusPrinter, persistentVolumePrinter, persistentVolumeClaimPrinter, resourceQuotaPrinter, limitRangePrinter,
} from './tables/core-printers.js';
import {
  deploymentPrinter, replicaSetPrinter, statefulSetPrinter, daemonSetPrinter, controllerRevisionPrinter, jobPrinter, cronJobPrinter,
} from './tables/workload-printers.js';
import {
  leasePrinter, priorityClassPrinter, podDisruptionBudgetPrinter, horizontalPodAutoscalerPrinter, endpointSlicePrinter,
  rolePrinter, roleBindingPrinter,
} from './tables/cluster-printers.js';
import { flowSchemaPrinter, priorityLevelConfigurationPrinter } from './tables/flowcontrol-printers.js';

export type { TableColumnDefinition, TableRowCondition } from './tables/printer.js';

export interface PartialObjectMetadata { kind: 'PartialObjectMetadata'; apiVersion: 'meta.k8s.io/v1'; metadata: ObjectMeta }

export interface TableRow { cells: unknown[]; conditions?: TableRowCondition[]; object?: PartialObjectMetadata | KubeObject }

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  /** null when the caller asked for no headers, as later events of a watch carry. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface TableOptions {
  includeObject?: 'None' | 'Metadata' | 'Object';
  noHeaders?: boolean;
  resourceVersion?: string;
  continue?: string;
  now?: Date;
}

const PRINTERS: Record<string, Printer> = {
  '/componentstatuses': componentStatusPrinter,
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/namespaces': namespacePrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/events': eventPrinter,
  '/persistentvolumes': persistentVolumePrinter,
  '/persistentvolumeclaims': persistentVolumeClaimPrinter,
  '/resourcequotas': resourceQuotaPrinter,
  '/limitranges': limitRangePrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'batch/jobs': jobPrinter,
  'batch/cronjobs': cronJobPrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'scheduling.k8s.io/priorityclasses': priorityClassPrinter,
  'policy/poddisruptionbudgets': podDisruptionBudgetPrinter,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'rbac.authorization.k8s.io/roles': rolePrinter,
  'rbac.authorization.k8s.io/clusterroles': rolePrinter,
  'rbac.authorization.k8s.io/rolebindings': roleBindingPrinter,
  'rbac.authorization.k8s.io/clusterrolebindings': roleBindingPrinter,
  'flowcontrol.apiserver.k8s.io/flowschemas': flowSchemaPrinter,
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': priorityLevelConfigurationPrinter,
};

// Kinds without a printer show what kubectl shows for them against Kubernetes: Name and Age.
const DEFAULT_PRINTER: Printer = {
  columns: [nameCol(), ageCol()],
  row: (o, now) => ({ cells: [name(o), age(o, now)] }),
};

export function printerFor(res: Pick<ResourceInfo, 'group' | 'plural'>): Printer {
  return PRINTERS[`${res.group}/${res.plural}`] ?? DEFAULT_PRINTER;
}

/** The column definitions a resource's Table carries. */
export function tableColumns(res: Pick<ResourceInfo, 'group' | 'plural'>): TableColumnDefinition[] {
  return printerFor(res).columns.map((c) => ({ ...c }));
}

/** Builds the Table for a list, a single object, or one watch event's object. */
export function toTable(res: ResourceInfo, objects: KubeObject[], opts: TableOptions = {}): Table {
  const printer = printerFor(res);
  const now = opts.now ?? new Date();
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const printed = printer.row(obj, now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
    return row;
  });
  const metadata: ListMeta = {
    ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
    ...(opts.continue ? { continue: opts.continue } : {}),
  };
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata,
    columnDefinitions: opts.noHeaders ? null : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
