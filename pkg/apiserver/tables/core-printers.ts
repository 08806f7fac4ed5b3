// Printers for core/v1 kinds other than pods, with printers.go's columns and cell formats.
import { since } from './human-duration.js';
import {
  type Obj, type Printer, col, nameCol, ageCol, name, age, int, str, formatLabels, createdAt, AGE_DESCRIPTION,
} from './printer.js';

function nodeAddress(node: Obj, type: string): string {
  return str((node.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address) || '<none>';
}

/** findNodeRoles: node-role.kubernetes.io/<role> labels and the legacy kubernetes.io/role. */
export function nodeRoles(node: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((node.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

/** The Status cell: Ready's state (`NotReady` for False or Unknown), `Unknown` without it, plus SchedulingDisabled. */
export function nodeStatus(node: Obj): string {
  const ready = (node.status?.conditions ?? []).filter((c: Obj) => c.type === 'Ready').at(-1);
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).", true),
    col('External-IP', 'string', "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).", true),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', true),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", true),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', true),
  ],
  row(node, now) {
    const info: Obj = node.status?.nodeInfo ?? {};
    return {
      cells: [
        name(node), nodeStatus(node), nodeRoles(node), age(node, now), str(info.kubeletVersion),
        nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'),
        str(info.osImage) || '<unknown>', str(info.kernelVersion) || '<unknown>', str(info.containerRuntimeVersion) || '<unknown>',
      ],
    };
  },
};

export const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
  row: (ns, now) => ({ cells: [name(ns), str(ns.status?.phase), age(ns, now)] }),
};

/** makePortString: `80/TCP`, `80:30080/TCP`, comma-joined. */
export function servicePorts(ports: unknown): string {
  const list: Obj[] = Array.isArray(ports) ? ports : [];
  return list.map((p) => {
    const proto = str(p.protocol) || 'TCP';
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p.port)}/${proto}`;
  }).join(',');
}

function loadBalancerIPs(svc: Obj): string {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i: Obj) => str(i.ip) || str(i.hostname)).filter(Boolean).join(',');
}

/** getServiceExternalIP as the server prints it (wide: no truncation of load-balancer addresses). */
export function serviceExternalIP(svc: Obj): string {
  const externalIPs: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIPs(svc);
      if (externalIPs.length) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(svc.spec?.externalName);
    default:
      return '<unknown>';
  }
}

export const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageCol(),
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', true),
  ],
  row(svc, now) {
    const clusterIP = str(svc.spec?.clusterIPs?.[0]) || str(svc.spec?.clusterIP) || '<none>';
    return {
      cells: [
        name(svc), str(svc.spec?.type) || 'ClusterIP', clusterIP, serviceExternalIP(svc),
        servicePorts(svc.spec?.ports) || '<none>', age(svc, now), formatLabels(svc.spec?.selector),
      ],
    };
  },
};

/** formatEndpoints: up to three `ip:port`, then ` + N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: Obj): string {
  const subsets: Obj[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses: Obj[] = ss.addresses ?? [];
    const ports: Obj[] = ss.ports ?? [];
    const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(str(a.ip));
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) if (list.length < 3) list.push(hostPort(str(a.ip), int(p.port)));
    }
  }
  const shown = list.join(',');
  return count > 3 ? `${shown} + ${count - 3} more...` : shown;
}

export const endpointsPrinter: Printer = {
  columns: [nameCol(), col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageCol()],
  row: (ep, now) => ({ cells: [name(ep), formatEndpoints(ep), age(ep, now)] }),
};

export const configMapPrinter: Printer = {
  columns: [nameCol(), col('Data', 'string', 'Data contains the configuration data.'), ageCol()],
  row: (cm, now) => ({
    cells: [name(cm), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
  }),
};

export const secretPrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Data contains the secret data.'),
    ageCol(),
  ],
  row: (s, now) => ({ cells: [name(s), str(s.type), Object.keys(s.data ?? {}).length, age(s, now)] }),
};

export const serviceAccountPrinter: Printer = {
  columns: [nameCol(), col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageCol()],
  row: (sa, now) => ({ cells: [name(sa), (sa.secrets ?? []).length, age(sa, now)] }),
};

function firstNonEmpty(...xs: unknown[]): string {
  for (const x of xs) if (typeof x === 'string' && x !== '') return x;
  return '';
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', true),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', true),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', true),
    col('Count', 'string', 'The number of times this event has occurred.', true),
    { ...nameCol(), priority: 1 },
  ],
  row(ev, now) {
    let first = since(ev.firstTimestamp, now);
    if (!ev.firstTimestamp) first = since(ev.eventTime, now);
    let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
    let count = int(ev.count);
    if (ev.series) {
      last = since(ev.series.lastObservedTime, now);
      count = int(ev.series.count);
    } else if (count === 0) {
      count = 1; // singleton events written through events.k8s.io carry no count
    }
    const io: Obj = ev.involvedObject ?? {};
    const kind = str(io.kind).toLowerCase();
    const target = io.name ? `${kind}/${str(io.name)}` : kind;
    const component = firstNonEmpty(ev.source?.component, ev.reportingComponent);
    const instance = firstNonEmpty(ev.source?.host, ev.reportingInstance);
    const source = instance ? `${component}, ${instance}` : component;
    return {
      cells: [last, str(ev.type), str(ev.reason), target, str(io.fieldPath), source, str(ev.message).trim(), first, count, name(ev)],
    };
  },
};

const ACCESS_MODES: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];

/** GetAccessModesAsString: `RWO,ROX,...` in upstream's fixed order. */
export function accessModes(modes: unknown): string {
  const list: unknown[] = Array.isArray(modes) ? modes : [];
  return ACCESS_MODES.filter(([m]) => list.includes(m)).map(([, short]) => short).join(',');
}

function storageClass(o: Obj): string {
  return str(o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']) || str(o.spec?.storageClassName);
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameCol(),
    col('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
    col('VolumeAttributesClass', 'string', 'Name of VolumeAttributesClass to which this persistent volume belongs.'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageCol(),
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', true),
  ],
  row(pv, now) {
    const ref: Obj | undefined = pv.spec?.claimRef;
    return {
      cells: [
        name(pv), str(pv.spec?.capacity?.storage) || '0', accessModes(pv.spec?.accessModes), str(pv.spec?.persistentVolumeReclaimPolicy),
        pv.metadata?.deletionTimestamp ? 'Terminating' : str(pv.status?.phase), ref ? `${str(ref.namespace)}/${str(ref.name)}` : '',
        storageClass(pv), str(pv.spec?.volumeAttributesClassName) || '<unset>', str(pv.status?.reason), age(pv, now),
        str(pv.spec?.volumeMode) || '<unset>',
      ],
    };
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the desired access modes the volume should have.'),
    col('StorageClass', 'string', 'storageClassName is the name of the StorageClass required by the claim.'),
    col('VolumeAttributesClass', 'string', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
    ageCol(),
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', true),
  ],
  row(pvc, now) {
    const bound = Boolean(pvc.spec?.volumeName);
    return {
      cells: [
        name(pvc), pvc.metadata?.deletionTimestamp ? 'Terminating' : str(pvc.status?.phase), str(pvc.spec?.volumeName),
        bound ? str(pvc.status?.capacity?.storage) || '0' : '', bound ? accessModes(pvc.status?.accessModes) : '',
        storageClass(pvc), str(pvc.spec?.volumeAttributesClassName) || '<unset>', age(pvc, now), str(pvc.spec?.volumeMode) || '<unset>',
      ],
    };
  },
};

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameCol(), ageCol(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  row(q, now) {
    const requests: string[] = [];
    const limits: string[] = [];
    for (const res of Object.keys(q.spec?.hard ?? {}).sort()) {
      const used = str(q.status?.used?.[res]) || '0';
      const hard = str(q.status?.hard?.[res]) || '0';
      (res.split('.')[0] === 'limits' && res.includes('.') ? limits : requests).push(`${res}: ${used}/${hard}`);
    }
    return { cells: [name(q), age(q, now), requests.join(', '), limits.join(', ')] };
  },
};

export const limitRangePrinter: Printer = {
  columns: [nameCol(), col('Created At', 'date', AGE_DESCRIPTION)],
  row: (lr) => ({ cells: [name(lr), createdAt(lr)] }),
};

/** printComponentStatus: the Healthy condition as Healthy, Unhealthy or Unknown, with its message and error. */
export const componentStatusPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'Status of the component conditions'),
    col('Message', 'string', 'Message of the component conditions'),
    col('Error', 'string', 'Error of the component conditions'),
  ],
  row(cs) {
    let status = 'Unknown';
    let message = '';
    let error = '';
    for (const c of (cs['conditions'] ?? []) as Obj[]) {
      if (c.type !== 'Healthy') continue;
      status = c.status === 'True' ? 'Healthy' : 'Unhealthy';
      message = str(c.message);
      error = str(c.error);
      break;
    }
    return { cells: [name(cs), status, message, error] };
  },
};
