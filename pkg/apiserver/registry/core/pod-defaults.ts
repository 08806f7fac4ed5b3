// SetDefaults_* for pods and pod templates (pkg/apis/core/v1/defaults.go). Pod templates in
// every workload get setPodSpecDefaults; only a Pod gets setPodDefaults' extras (requests
// from limits, enableServiceLinks), as upstream keeps those off templates.
import type {
  Container, HTTPGetAction, LifecycleHandler, Pod, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, Volume,
} from 'kubernetes-types/core/v1.js';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Always for `:latest` or an untagged reference without digest, else IfNotPresent. */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHttpGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ||= '/';
  h.scheme ||= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHttpGet(p.httpGet);
  if (p.grpc) p.grpc.service ??= '';
}

function defaultHandler(h: LifecycleHandler | undefined): void {
  defaultHttpGet(h?.httpGet);
}

function defaultContainer(c: Container): void {
  if (c.image !== undefined && c.image !== '') c.imagePullPolicy ||= defaultImagePullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ||= 'TCP';
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ||= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
}

const VOLUME_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI',
  'emptyDir', 'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath',
  'image', 'iscsi', 'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume', 'projected', 'quobyte',
  'rbd', 'scaleIO', 'secret', 'storageos', 'vsphereVolume',
] as const;

/** The volume source fields a volume sets, in the order upstream checks them. */
export function volumeSources(v: Volume): string[] {
  const set = v as unknown as Record<string, unknown>;
  return VOLUME_SOURCES.filter((s) => set[s] !== undefined && set[s] !== null);
}

const DEFAULT_MODE = 0o644; // 420

function defaultVolume(v: Volume): void {
  if (volumeSources(v).length === 0) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_MODE;
    for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_MODE;
    for (const src of v.projected.sources ?? []) {
      for (const item of src.downwardAPI?.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
      if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
    }
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.iscsi) v.iscsi.iscsiInterface ??= 'default';
}

export function setPodSpecDefaults(spec: PodSpec): void {
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ||= DEFAULT_SCHEDULER_NAME;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export function setPodTemplateDefaults(template: PodTemplateSpec | undefined): void {
  if (!template) return;
  template.spec ??= { containers: [] };
  setPodSpecDefaults(template.spec);
}

// Limits without requests mean requests == limits (SetDefaults_Pod); a template keeps its
// own so that LimitRange defaulting still sees what the user wrote.
function defaultRequestsFromLimits(r: ResourceRequirements | undefined): void {
  if (!r?.limits) return;
  for (const [name, q] of Object.entries(r.limits)) {
    r.requests ??= {};
    if (r.requests[name] === undefined) r.requests[name] = q;
  }
}

export function setPodDefaults(pod: Pod): void {
  pod.spec ??= { containers: [] };
  setPodSpecDefaults(pod.spec);
  for (const c of [...pod.spec.initContainers ?? [], ...pod.spec.containers ?? []]) defaultRequestsFromLimits(c.resources);
  pod.spec.enableServiceLinks ??= true;
  if (pod.spec.hostNetwork) {
    for (const c of [...pod.spec.initContainers ?? [], ...pod.spec.containers ?? []]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}
