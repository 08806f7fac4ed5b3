// Pure mapping of Docker list and inspect answers back to runtime data, with the states,
// reasons and image references the kubelet reports (dockershim's toRuntimeAPIContainer and
// ContainerStatus, kuberuntime's imageID).
import type {
  ContainerState, PodSandbox, PodSandboxStatus, RuntimeContainer, RuntimeContainerStatus,
} from '../runtime.js';
import * as L from '../../../api/container-labels.js';
import type { DockerContainerInspect, DockerContainerSummary } from './docker-types.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function containerState(dockerState: string): ContainerState {
  switch (dockerState) {
    case 'created': return 'created';
    // A paused or restarting container still holds its process: the kubelet sees it running.
    case 'running': case 'paused': case 'restarting': return 'running';
    case 'exited': case 'dead': return 'exited';
    default: return 'unknown';
  }
}

/** containerStatuses[].imageID as the kubelet formats it for Docker. */
export function imageRef(imageId: string, repoDigests: readonly string[] = []): string {
  const digest = repoDigests[0];
  return digest ? `docker-pullable://${digest}` : `docker://${imageId}`;
}

function labelsOf(labels: Record<string, string> | null): Record<string, string> {
  return labels ?? {};
}

function int(value: string | undefined): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

function sandboxMetadata(labels: Record<string, string>): PodSandbox['metadata'] {
  return {
    name: labels[L.LABEL_POD_NAME] ?? '',
    namespace: labels[L.LABEL_POD_NAMESPACE] ?? '',
    uid: labels[L.LABEL_POD_UID] ?? '',
    attempt: int(labels[L.LABEL_ATTEMPT]),
  };
}

function unixSecondsToRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function toSandbox(c: DockerContainerSummary): PodSandbox {
  const labels = labelsOf(c.Labels);
  return {
    id: c.Id,
    metadata: sandboxMetadata(labels),
    state: c.State === 'running' ? 'ready' : 'notready',
    createdAt: unixSecondsToRfc3339(c.Created),
    ...L.decodeUserLabels(labels),
  };
}

export function toSandboxStatus(c: DockerContainerInspect, networkName: string): PodSandboxStatus {
  const labels = labelsOf(c.Config.Labels);
  const hostNetwork = c.HostConfig.NetworkMode === 'host';
  const ip = hostNetwork ? '' : c.NetworkSettings.Networks?.[networkName]?.IPAddress ?? '';
  return {
    id: c.Id,
    metadata: sandboxMetadata(labels),
    state: c.State.Running ? 'ready' : 'notready',
    createdAt: c.Created,
    ...L.decodeUserLabels(labels),
    hostNetwork,
    ...(ip ? { ip } : {}),
  };
}

function containerBase(id: string, labels: Record<string, string>): Omit<RuntimeContainer, 'state' | 'createdAt' | 'image' | 'imageId'> {
  return {
    id,
    sandboxId: labels[L.LABEL_SANDBOX_ID] ?? '',
    metadata: { name: labels[L.LABEL_CONTAINER_NAME] ?? '', attempt: int(labels[L.LABEL_ATTEMPT]) },
    pod: {
      name: labels[L.LABEL_POD_NAME] ?? '',
      namespace: labels[L.LABEL_POD_NAMESPACE] ?? '',
      uid: labels[L.LABEL_POD_UID] ?? '',
    },
    restartCount: int(labels[L.LABEL_RESTART_COUNT]),
    ...L.decodeUserLabels(labels),
  };
}

export function toRuntimeContainer(c: DockerContainerSummary): RuntimeContainer {
  return {
    ...containerBase(c.Id, labelsOf(c.Labels)),
    state: containerState(c.State),
    createdAt: unixSecondsToRfc3339(c.Created),
    image: c.Image,
    imageId: c.ImageID,
  };
}

export function toContainerStatus(c: DockerContainerInspect, repoDigests: readonly string[] = []): RuntimeContainerStatus {
  const state = containerState(c.State.Status);
  const status: RuntimeContainerStatus = {
    ...containerBase(c.Id, labelsOf(c.Config.Labels)),
    state,
    createdAt: c.Created,
    image: c.Config.Image,
    imageId: c.Image,
    imageRef: imageRef(c.Image, repoDigests),
  };
  if (c.State.StartedAt && c.State.StartedAt !== ZERO_TIME) status.startedAt = c.State.StartedAt;
  if (state === 'created' && c.State.Error) {
    // The start failed (runc could not exec the command): Docker leaves it "created" with the
    // error. Report it terminated the way the kubelet does for a failed start.
    return { ...status, state: 'exited', exitCode: 128, reason: 'StartError', message: c.State.Error };
  }
  if (state === 'exited') {
    if (c.State.FinishedAt && c.State.FinishedAt !== ZERO_TIME) status.finishedAt = c.State.FinishedAt;
    status.exitCode = c.State.ExitCode;
    status.reason = c.State.OOMKilled ? 'OOMKilled' : c.State.ExitCode === 0 ? 'Completed' : 'Error';
    if (c.State.Error) status.message = c.State.Error;
  }
  return status;
}
