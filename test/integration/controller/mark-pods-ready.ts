// Stands in for kubelets in controller tests: every pod of a namespace that isn't Ready yet
// is marked Running and Ready through the status subresource, optionally after a delay
// (a container's start-up time).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../../../pkg/api/errors.js';
import { nowRfc3339 } from '../../../pkg/api/meta.js';
import type { InformerFactory } from '../../../pkg/client/informer-factory.js';
import type { RestClient } from '../../../pkg/client/rest-client.js';

export function markPodsReady(client: RestClient, informers: InformerFactory, namespace: string, opts: { delayMs?: number; ready?: (pod: Pod) => boolean } = {}): void {
  const pods = client.resource('pods');
  const pending = new Set<string>();
  const mark = (pod: Pod) => {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pending.has(name)) return;
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    if (opts.ready && !opts.ready(pod)) return;
    pending.add(name);
    setTimeout(() => {
      const now = nowRfc3339();
      void pods.updateStatus(namespace, {
        ...pod,
        status: {
          ...pod.status, phase: 'Running', startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
        },
      }).catch((e: unknown) => { if (!isNotFound(e) && !isConflict(e)) throw e; })
        .finally(() => pending.delete(name));
    }, opts.delayMs ?? 0);
  };
  informers.informer('pods', { namespace }).addEventHandler({
    add: (pod) => mark(structuredClone(pod) as Pod),
    update: (_old, pod) => mark(structuredClone(pod) as Pod),
  });
}
