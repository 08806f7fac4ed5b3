// Printers for coordination, scheduling, policy, autoscaling, discovery and rbac kinds,
// with printers.go's columns and cell formats.
import { type Obj, type Printer, col, nameCol, ageCol, name, age, int, str, createdAt, listWithMore, AGE_DESCRIPTION } from './printer.js';

export const leasePrinter: Printer = {
  columns: [nameCol(), col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageCol()],
  row: (l, now) => ({ cells: [name(l), str(l.spec?.holderIdentity), age(l, now)] }),
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameCol(),
    col('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    ageCol(),
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  row: (pc, now) => ({ cells: [name(pc), int(pc.value), pc.globalDefault === true, age(pc, now), str(pc.preemptionPolicy) || '<unset>'] }),
};

const intOrString = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : 'N/A');

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Min Available', 'string', 'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageCol(),
  ],
  row: (p, now) => ({
    cells: [name(p), intOrString(p.spec?.minAvailable), intOrString(p.spec?.maxUnavailable), int(p.status?.disruptionsAllowed), age(p, now)],
  }),
};

// formatHPAMetrics for the metric kinds a HorizontalPodAutoscaler here can carry.
function hpaMetrics(hpa: Obj): string {
  const specs: Obj[] = hpa.spec?.metrics ?? [];
  if (specs.length === 0 && typeof hpa.spec?.targetCPUUtilizationPercentage === 'number') {
    const current = typeof hpa.status?.currentCPUUtilizationPercentage === 'number' ? `${hpa.status.currentCPUUtilizationPercentage}%` : '<unknown>';
    return `cpu: ${current}/${hpa.spec.targetCPUUtilizationPercentage}%`;
  }
  if (specs.length === 0) return '<none>';
  const statuses: Obj[] = hpa.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => {
    const cur: Obj | undefined = statuses[i];
    if (m.type === 'Resource' || m.type === 'ContainerResource') {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const target: Obj = m[key]?.target ?? {};
      const current: Obj | undefined = cur?.[key]?.current;
      const prefix = `${str(m[key]?.name)}: `;
      if (typeof target.averageUtilization === 'number') {
        const c = typeof current?.averageUtilization === 'number' ? `${current.averageUtilization}%` : '<unknown>';
        return `${prefix}${c}/${target.averageUtilization}%`;
      }
      return `${prefix}${str(current?.averageValue) || '<unknown>'}/${str(target.averageValue)}`;
    }
    const key = m.type === 'Pods' ? 'pods' : m.type === 'Object' ? 'object' : 'external';
    const target: Obj = m[key]?.target ?? {};
    const current: Obj | undefined = cur?.[key]?.current;
    const want = str(target.averageValue) || str(target.value);
    const have = str(current?.averageValue) || str(current?.value) || '<unknown>';
    return `${have}/${want}${target.averageValue && m.type !== 'Pods' ? ' (avg)' : ''}`;
  });
  return listWithMore(list, 3, '<none>').replace(/,/g, ', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Reference', 'string', 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    ageCol(),
  ],
  row(hpa, now) {
    const ref: Obj = hpa.spec?.scaleTargetRef ?? {};
    return {
      cells: [
        name(hpa), `${str(ref.kind)}/${str(ref.name)}`, hpaMetrics(hpa),
        typeof hpa.spec?.minReplicas === 'number' ? String(hpa.spec.minReplicas) : '<unset>',
        int(hpa.spec?.maxReplicas), int(hpa.status?.currentReplicas), age(hpa, now),
      ],
    };
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ageCol(),
  ],
  row(es, now) {
    const ports = (es.ports ?? []).map((p: Obj) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'));
    const addresses = (es.endpoints ?? []).flatMap((e: Obj) => (e.addresses ?? []) as string[]);
    return { cells: [name(es), str(es.addressType), listWithMore(ports), listWithMore(addresses), age(es, now)] };
  },
};

export const rolePrinter: Printer = {
  columns: [nameCol(), col('Created At', 'string', AGE_DESCRIPTION)],
  row: (r) => ({ cells: [name(r), createdAt(r)] }),
};

/** rbac SubjectsStrings: users, groups and `namespace/name` service accounts. */
function subjects(binding: Obj): [string, string, string] {
  const list: Obj[] = binding.subjects ?? [];
  const of = (kind: string, fmt: (s: Obj) => string) => list.filter((s) => s.kind === kind).map(fmt).join(', ');
  return [of('User', (s) => str(s.name)), of('Group', (s) => str(s.name)), of('ServiceAccount', (s) => `${str(s.namespace)}/${str(s.name)}`)];
}

export const roleBindingPrinter: Printer = {
  columns: [
    nameCol(),
    col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
    ageCol(),
    col('Users', 'string', 'Users in the roleBinding', true),
    col('Groups', 'string', 'Groups in the roleBinding', true),
    col('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', true),
  ],
  row: (b, now) => ({ cells: [name(b), `${str(b.roleRef?.kind)}/${str(b.roleRef?.name)}`, age(b, now), ...subjects(b)] }),
};
