// The labels a runtime puts on what it creates. The runtime's own metadata lives under
// `io.tskube.*`; the pod's labels and annotations are stored under their own prefixes so a
// pod label can never pose as runtime metadata (e.g. claim another node).
export const LABEL_NODE = 'io.tskube.node';
/** The cluster (its kube-system namespace's uid): two clusters on one Docker host may share node names. */
export const LABEL_CLUSTER = 'io.tskube.cluster';
export const LABEL_TYPE = 'io.tskube.type';
export const TYPE_SANDBOX = 'podsandbox';
export const TYPE_CONTAINER = 'container';
export const LABEL_POD_UID = 'io.tskube.pod.uid';
export const LABEL_POD_NAME = 'io.tskube.pod.name';
export const LABEL_POD_NAMESPACE = 'io.tskube.pod.namespace';
export const LABEL_SANDBOX_ID = 'io.tskube.sandbox.id';
export const LABEL_CONTAINER_NAME = 'io.tskube.container.name';
export const LABEL_ATTEMPT = 'io.tskube.attempt';
export const LABEL_RESTART_COUNT = 'io.tskube.container.restart-count';
export const LABEL_HOST_NETWORK = 'io.tskube.pod.host-network';
export const LABEL_SHARE_PID = 'io.tskube.pod.share-process-namespace';
export const LABEL_HOST_PID = 'io.tskube.pod.host-pid';
export const LABEL_HOST_IPC = 'io.tskube.pod.host-ipc';
const USER_LABEL_PREFIX = 'io.tskube.label.';
const ANNOTATION_PREFIX = 'io.tskube.annotation.';

export function encodeUserLabels(
  labels: Record<string, string> | undefined,
  annotations: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[USER_LABEL_PREFIX + k] = v;
  for (const [k, v] of Object.entries(annotations ?? {})) out[ANNOTATION_PREFIX + k] = v;
  return out;
}

export function decodeUserLabels(all: Record<string, string>): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(USER_LABEL_PREFIX)) labels[k.slice(USER_LABEL_PREFIX.length)] = v;
    else if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
  }
  return { labels, annotations };
}

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
