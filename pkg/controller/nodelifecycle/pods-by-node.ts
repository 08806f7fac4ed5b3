// Pods filed by spec.nodeName in the shared pod cache, so a node's pods are found without
// scanning every pod. Both node controllers ask; the index is added once.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import type { DeepReadonly } from '../../client/lister.js';

export const POD_NODE_NAME_INDEX = 'spec.nodeName';

export function podsByNode(informer: SharedInformer<Pod>): (nodeName: string) => DeepReadonly<Pod>[] {
  try {
    informer.indexer.addIndexers({ [POD_NODE_NAME_INDEX]: (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []) });
  } catch {
    // Already added by the other node controller (or anyone using this name for the same index).
  }
  return (nodeName) => informer.lister.byIndex(POD_NODE_NAME_INDEX, nodeName);
}
