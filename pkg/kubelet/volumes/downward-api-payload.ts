// The files of a downwardAPI volume (pkg/volume/downwardapi CollectData): pod metadata by
// fieldRef and container resources by resourceFieldRef, where an unset limit reads as the
// node's allocatable amount, as the kubelet reports it.
import type { DownwardAPIVolumeFile, Pod } from 'kubernetes-types/core/v1.js';
import { integerValue, milliValue } from '../../api/quantity.js';
import { goQuote } from '../probes/go-format.js';
import type { Payload } from './atomic-writer.js';
import { DEFAULT_MODE } from './config-map-payload.js';

/** Node allocatable resources in API quantities (e.g. { cpu: '4', memory: '16Gi' }). */
export type NodeAllocatable = Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', string>>;

export function downwardApiPayload(items: readonly DownwardAPIVolumeFile[] | undefined, pod: Pod, defaultMode: number | undefined, allocatable: NodeAllocatable): Payload {
  const mode = defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    try {
      let value: string;
      if (item.fieldRef) value = fieldPathValue(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        value = resourceFieldValue(pod, ref.containerName ?? '', ref.resource, ref.divisor, allocatable);
      } else continue;
      payload.set(item.path, { data: Buffer.from(value), mode: item.mode ?? mode });
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`[${errors.join(', ')}]`);
  return payload;
}

/** fieldpath.ExtractFieldPathAsString for a pod (and the env-only fields, which cost nothing). */
export function fieldPathValue(pod: Pod, fieldPath: string): string {
  const m = pod.metadata ?? {};
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'metadata.labels' ? m.labels : m.annotations;
    return map?.[sub[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.annotations': return formatMap(m.annotations ?? {});
    case 'metadata.labels': return formatMap(m.labels ?? {});
    case 'metadata.name': return m.name ?? '';
    case 'metadata.namespace': return m.namespace ?? '';
    case 'metadata.uid': return m.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    default: throw new Error(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** fieldpath.FormatMap: sorted `key="value"` lines, no trailing newline. */
export function formatMap(m: Record<string, string>): string {
  return Object.keys(m).sort().map((k) => `${k}=${goQuote(m[k] ?? '')}`).join('\n');
}

/** resource.ExtractResourceValueByContainerNameAndNodeAllocatable: ceil(value / divisor). */
export function resourceFieldValue(pod: Pod, containerName: string, resource: string, divisor: string | undefined, allocatable: NodeAllocatable): string {
  const container = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === containerName);
  if (!container) throw new Error(`container ${containerName} not found`);
  const [kind, name] = resource.split('.', 2) as [string, 'cpu' | 'memory' | 'ephemeral-storage' | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || (name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage')) {
    throw new Error(`unsupported container resource : ${resource}`);
  }
  const div = divisor === undefined || divisor === '' || divisor === '0' ? '1' : divisor;
  let quantity = container.resources?.[kind]?.[name];
  if (quantity === undefined && kind === 'limits') quantity = allocatable[name];
  const q = quantity ?? '0';
  if (name === 'cpu') return String(Math.ceil(milliValue(q) / milliValue(div)));
  return String(Math.ceil(integerValue(q) / integerValue(div)));
}
