// Which container instance `kubectl logs [--previous]` means: the instances of one container
// name in one pod, newest attempt first. The current one is the newest, whatever its state;
// the previous one is the instance before it (upstream: lastState.terminated.containerID).
import type { ContainerRuntime } from '../runtime/runtime.js';

export interface LogPodRef {
  namespace: string;
  name: string;
  /** Narrows to this pod instance; without it the most recently created pod of that name wins. */
  uid?: string;
}

export async function findLogContainer(runtime: Pick<ContainerRuntime, 'listContainers'>, pod: LogPodRef, containerName: string, previous: boolean): Promise<string | undefined> {
  // A runtime's labelSelector matches the pod's own labels, so filter on the runtime's metadata.
  const listed = await runtime.listContainers(pod.uid !== undefined ? { podUid: pod.uid } : {});
  let instances = listed.filter((c) => c.metadata.name === containerName
    && (pod.uid !== undefined ? c.pod.uid === pod.uid : c.pod.namespace === pod.namespace && c.pod.name === pod.name));
  if (pod.uid === undefined && instances.length > 0) {
    // A pod deleted and re-created under the same name: only the newest counts.
    const newest = instances.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
    instances = instances.filter((c) => c.pod.uid === newest.pod.uid);
  }
  instances.sort((a, b) => b.metadata.attempt - a.metadata.attempt || Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return instances[previous ? 1 : 0]?.id;
}
