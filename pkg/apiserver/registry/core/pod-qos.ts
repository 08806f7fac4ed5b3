// The pod's QoS class as pkg/apis/core/helper/qos computes it: only cpu and memory count,
// zero quantities are ignored, and requests and limits are summed over all containers.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { milliValue } from '../../../api/quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = new Set(['cpu', 'memory']);

function add(sum: Map<string, number>, list: Record<string, string | number> | undefined): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    if (!QOS_RESOURCES.has(name)) continue;
    let m: number;
    try { m = milliValue(q); } catch { continue; }
    if (m > 0) sum.set(name, (sum.get(name) ?? 0) + m);
  }
}

export function podQosClass(pod: Pod): QosClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let isGuaranteed = true;
  const spec = pod.spec;
  for (const c of [...spec?.containers ?? [], ...spec?.initContainers ?? []]) {
    add(requests, c.resources?.requests);
    const own = new Map<string, number>();
    add(own, c.resources?.limits);
    add(limits, c.resources?.limits);
    if (!own.has('cpu') || !own.has('memory')) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, req] of requests) if (limits.get(name) !== req) { isGuaranteed = false; break; }
  }
  return isGuaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
