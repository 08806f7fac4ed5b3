// Printers for apps/v1 and batch/v1 workloads, with printers.go's columns and cell formats.
import { formatLabelSelector, labelSelectorToString } from '../../api/labels.js';
import { humanDuration, since } from './human-duration.js';
import {
  type Obj, type Printer, col, nameCol, ageCol, containersCol, imagesCol, name, age, int, str, containerCells, formatLabels,
  formatResourceName,
} from './printer.js';

const selectorCol = (description: string) => col('Selector', 'string', description, true);
const templateContainers = (o: Obj) => containerCells(o.spec?.template?.spec?.containers);

export const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol(), containersCol(), imagesCol(),
    selectorCol('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.'),
  ],
  row(d, now) {
    let selector: string;
    try { selector = labelSelectorToString(d.spec?.selector); } catch { selector = '<invalid>'; }
    const desired = typeof d.spec?.replicas === 'number' ? d.spec.replicas : 1;
    return {
      cells: [
        name(d), `${int(d.status?.readyReplicas)}/${desired}`, int(d.status?.updatedReplicas), int(d.status?.availableReplicas),
        age(d, now), ...templateContainers(d), selector,
      ],
    };
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    col('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
    ageCol(), containersCol(), imagesCol(),
    selectorCol("Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
  ],
  row: (rs, now) => ({
    cells: [
      name(rs), typeof rs.spec?.replicas === 'number' ? rs.spec.replicas : 1, int(rs.status?.replicas), int(rs.status?.readyReplicas),
      age(rs, now), ...templateContainers(rs), formatLabelSelector(rs.spec?.selector),
    ],
  }),
};

export const statefulSetPrinter: Printer = {
  columns: [nameCol(), col('Ready', 'string', 'Number of the pod with ready state'), ageCol(), containersCol(), imagesCol()],
  row: (s, now) => ({
    cells: [
      name(s), `${int(s.status?.readyReplicas)}/${typeof s.spec?.replicas === 'number' ? s.spec.replicas : 1}`, age(s, now),
      ...templateContainers(s),
    ],
  }),
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    col('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    col('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    ageCol(), containersCol(), imagesCol(),
    selectorCol("A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
  ],
  row(ds, now) {
    const st: Obj = ds.status ?? {};
    return {
      cells: [
        name(ds), int(st.desiredNumberScheduled), int(st.currentNumberScheduled), int(st.numberReady), int(st.updatedNumberScheduled),
        int(st.numberAvailable), formatLabels(ds.spec?.template?.spec?.nodeSelector), age(ds, now), ...templateContainers(ds),
        formatLabelSelector(ds.spec?.selector),
      ],
    };
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameCol(),
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageCol(),
  ],
  row(cr, now) {
    const ref: Obj | undefined = (cr.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
    const controller = ref ? formatResourceName(str(ref.apiVersion), str(ref.kind), str(ref.name)) : '<none>';
    return { cells: [name(cr), controller, int(cr.revision), age(cr, now)] };
  },
};

function hasCondition(o: Obj, type: string): boolean {
  return (o.status?.conditions ?? []).some((c: Obj) => c.type === type && c.status === 'True');
}

/** printJob's Status cell, first match wins. */
export function jobStatus(job: Obj): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The completion status of the job.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageCol(), containersCol(), imagesCol(),
    selectorCol('A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  row(job, now) {
    const succeeded = int(job.status?.succeeded);
    let completions: string;
    if (typeof job.spec?.completions === 'number') completions = `${succeeded}/${job.spec.completions}`;
    else if (int(job.spec?.parallelism) > 1) completions = `${succeeded}/1 of ${int(job.spec?.parallelism)}`;
    else completions = `${succeeded}/1`;
    const start = Date.parse(str(job.status?.startTime));
    const end = Date.parse(str(job.status?.completionTime));
    let duration = '';
    if (!Number.isNaN(start)) duration = humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
    return {
      cells: [name(job), jobStatus(job), completions, duration, age(job, now), ...templateContainers(job), formatLabelSelector(job.spec?.selector)],
    };
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageCol(), containersCol(), imagesCol(),
    selectorCol('A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  row(cj, now) {
    const suspend = cj.spec?.suspend;
    const jobSpec: Obj = cj.spec?.jobTemplate?.spec ?? {};
    return {
      cells: [
        name(cj), str(cj.spec?.schedule), str(cj.spec?.timeZone) || '<none>',
        typeof suspend === 'boolean' ? (suspend ? 'True' : 'False') : '<unset>',
        (cj.status?.active ?? []).length, cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : '<none>',
        age(cj, now), ...containerCells(jobSpec.template?.spec?.containers), formatLabelSelector(jobSpec.selector),
      ],
    };
  },
};
