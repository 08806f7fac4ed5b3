// Pure calculations of the deployment controller (pkg/controller/deployment/util/
// deployment_util.go): revisions and annotations, surge/unavailable fenceposts, proportions,
// conditions and the status a set of ReplicaSets adds up to.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { nowRfc3339 } from '../../api/meta.js';
import { canonicalJson } from './pod-template-hash.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY = 'pod-template-hash';
const LAST_APPLIED_CONFIG_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** Limit of the revision-history annotation (maxRevHistoryLengthInChars). */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

// Condition reasons, as upstream spells them.
export const REASON = {
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  RSUpdated: 'ReplicaSetUpdated',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  PausedDeploy: 'DeploymentPaused',
  ResumedDeploy: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

const MAX_INT32 = 2147483647;

export const replicasOf = (o: { spec?: { replicas?: number } | undefined }): number => o.spec?.replicas ?? 1;

export function revisionOf(rs: ReplicaSet): number {
  const v = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

export function maxRevision(rsList: readonly ReplicaSet[]): number {
  return rsList.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** Resolves an int-or-percent against total: surge rounds up, unavailable rounds down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return /^\d+$/.test(v) ? Number(v) : 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** maxSurge and maxUnavailable; both 0 would deadlock, so unavailable becomes 1 (ResolveFenceposts). */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = replicasOf(d);
  const surge = scaledValue(ru?.maxSurge, desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const isRollingUpdate = (d: Deployment): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicasOf(d));
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec?.revisionHistoryLimit;
  return l !== undefined && l !== MAX_INT32;
}

/** Semantic equality of templates, ignoring the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(normalize(withoutHash(a))) === canonicalJson(normalize(withoutHash(b)));
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) {
    const labels = { ...c.metadata.labels };
    delete labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY];
    c.metadata = { ...c.metadata, labels };
  }
  return c;
}

/**
 * apimachinery's semantic equality treats nil and empty maps and slices alike, and a JSON null
 * as the zero value: kubectl rollout undo sends the template with `creationTimestamp: null`.
 */
function normalize(v: unknown): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

const byCreation = (a: ReplicaSet, b: ReplicaSet): number => {
  const ta = a.metadata?.creationTimestamp ?? '', tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return Date.parse(ta) - Date.parse(tb);
  const na = a.metadata?.name ?? '', nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
};
/** Oldest first; ties by name (ReplicaSetsByCreationTimestamp). */
export const sortByCreation = (list: ReplicaSet[]): ReplicaSet[] => list.sort(byCreation);
/** Larger first; ties newer first (ReplicaSetsBySizeNewer). */
export const sortBySizeNewer = (list: ReplicaSet[]): ReplicaSet[] => list.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(b, a));
/** Larger first; ties older first (ReplicaSetsBySizeOlder). */
export const sortBySizeOlder = (list: ReplicaSet[]): ReplicaSet[] => list.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b));
/** Lowest revision first; ties by creation (ReplicaSetsByRevision). */
export const sortByRevision = (list: ReplicaSet[]): ReplicaSet[] => list.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));

/** The oldest RS whose template equals the deployment's (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, rsList: readonly ReplicaSet[]): ReplicaSet | undefined {
  return sortByCreation([...rsList]).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function findOldReplicaSets(d: Deployment, rsList: readonly ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
}

export const filterActive = (list: readonly (ReplicaSet | undefined)[]): ReplicaSet[] =>
  list.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);

const sum = (list: readonly (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number): number =>
  list.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
export const specReplicas = (list: readonly (ReplicaSet | undefined)[]) => sum(list, replicasOf);
export const actualReplicas = (list: readonly (ReplicaSet | undefined)[]) => sum(list, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (list: readonly (ReplicaSet | undefined)[]) => sum(list, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (list: readonly (ReplicaSet | undefined)[]) => sum(list, (rs) => rs.status?.availableReplicas ?? 0);

/** The only active RS, or the newest when none is active; undefined when several are (FindActiveOrLatest). */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (oldRSs.length === 0 && !newRS) return undefined;
  const sortedOld = sortByCreation([...oldRSs]);
  const active = filterActive([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[sortedOld.length - 1];
  return active.length === 1 ? active[0] : undefined;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION) === replicasOf(d) && replicasOf(rs) === replicasOf(d)
    && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

export const desiredReplicasAnnotation = (rs: ReplicaSet): number | undefined => intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets desired-replicas and max-replicas on rs (mutates); true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata = { ...rs.metadata, annotations: { ...rs.metadata?.annotations, [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) } };
  return true;
}

function skipCopyAnnotation(key: string): boolean {
  return [LAST_APPLIED_CONFIG_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, DEPRECATED_ROLLBACK_TO].includes(key);
}

/**
 * Copies the deployment's annotations to the new RS, raises its revision to newRevision
 * (keeping the ones it had in revision-history: that is a rollback), and on creation sets the
 * replica annotations (SetNewReplicaSetAnnotations). Mutates rs; true when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  const annotations: Record<string, string> = { ...rs.metadata?.annotations };
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopyAnnotation(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const oldRevision = annotations[REVISION_ANNOTATION];
  const hadRevision = oldRevision !== undefined;
  let oldRevisionInt = 0;
  if (hadRevision && oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) { rs.metadata = { ...rs.metadata, annotations }; return false; }
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (hadRevision) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      let old = history.split(',');
      if (old[0] === '') {
        annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
      } else {
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < old.length) { total -= (old[start]?.length ?? 0) + 1; start++; }
        if (total <= MAX_REV_HISTORY_LENGTH_IN_CHARS) {
          old = [...old.slice(start), oldRevision];
          annotations[REVISION_HISTORY_ANNOTATION] = old.join(',');
        }
      }
    }
  }
  rs.metadata = { ...rs.metadata, annotations };
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Sets the deployment's revision annotation (mutates); true when it changed. */
export function setDeploymentRevision(d: Deployment, revision: string | undefined): boolean {
  if (revision === undefined || d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return false;
  d.metadata = { ...d.metadata, annotations: { ...d.metadata?.annotations, [REVISION_ANNOTATION]: revision } };
  return true;
}

/** The new RS's size during a rollout: as far as the surge allows, never beyond replicas (NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge, replicasOf(d), true);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** How many of toAdd this RS gets, by its share of the annotated size (GetProportion). */
export function getProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAway((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const now = nowRfc3339(new Date(nowMs));
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** Sets cond unless one of that type with the same status and reason exists; keeps lastTransitionTime while status holds. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = current && current.status === cond.status && current.lastTransitionTime ? { ...cond, lastTransitionTime: current.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** What the ReplicaSets add up to, with the Available condition (calculateStatus in sync.go). */
export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', REASON.MinimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', REASON.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want
    && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Any progress since the stored status (DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld
    || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === REASON.NewRSAvailable) return false;
  if (cond.reason === REASON.TimedOut) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}
