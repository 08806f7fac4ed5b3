// Pods (pkg/registry/core/pod/strategy.go): defaults, status on create, the narrow set of
// spec fields an update may change, the status subresource, admission and graceful delete.
import { isDeepStrictEqual } from 'node:util';
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { invalidRaw } from '../go-syntax.js';
import { dns1123SubdomainErrors, validateObjectMeta } from '../object-meta-validation.js';
import { admitDefaultTolerationSeconds, admitPriority, admitServiceAccount } from './pod-admission.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, setPodDefaults } from './pod-defaults.js';
import { podQosClass } from './pod-qos.js';
import { validatePodSpec } from './pod-validation.js';

// kubernetes-types marks status read-only; the apiserver is the one place that writes it.
type PodObject = { -readonly [K in keyof Pod]: Pod[K] } & KubeObject;

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator || 'Equal') === (b.operator || 'Equal')
    && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

// Upstream prints a cmp.Diff of the specs; a per-field -/+ listing carries the same facts.
function specDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    const o = (oldSpec as unknown as Record<string, unknown>)[k];
    const n = (newSpec as unknown as Record<string, unknown>)[k];
    if (isDeepStrictEqual(o, n)) continue;
    const name = k.charAt(0).toUpperCase() + k.slice(1);
    if (o !== undefined) lines.push(`- \t${name}: ${JSON.stringify(o)},`);
    if (n !== undefined) lines.push(`+ \t${name}: ${JSON.stringify(n)},`);
  }
  lines.push('  }');
  return `${lines.join('\n')}\n`;
}

/** ValidatePodUpdate's spec rules: only the listed fields may change. */
export function validatePodSpecUpdate(newSpec: PodSpec, oldSpec: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    if ((newSpec[list] ?? []).length !== (oldSpec[list] ?? []).length) {
      return [field.forbidden(`spec.${list}`, 'pod updates may not add or remove containers')];
    }
  }
  const ads = newSpec.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (ads < 0 || ads > 2147483647) {
      return [field.invalid('spec.activeDeadlineSeconds', ads, 'must be between 0 and 2147483647, inclusive')];
    }
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds < ads) {
      return [field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined) {
    errs.push(invalidRaw('spec.activeDeadlineSeconds', 'null', 'must not update from a positive integer to nil value'));
  }
  if (isDeepStrictEqual(newSpec, oldSpec)) return errs;

  const munged: PodSpec = structuredClone(newSpec);
  munged.containers = munged.containers.map((c, i) => ({ ...c, image: oldSpec.containers[i]?.image ?? '' }));
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map((c, i) => ({ ...c, image: oldSpec.initContainers?.[i]?.image ?? '' }));
  }
  const restore = <K extends keyof PodSpec>(k: K) => {
    if (oldSpec[k] === undefined) delete munged[k];
    else munged[k] = oldSpec[k];
  };
  restore('activeDeadlineSeconds');
  const oldTolerations = oldSpec.tolerations ?? [];
  if (oldTolerations.every((o) => (newSpec.tolerations ?? []).some((n) => sameToleration(o, n)))) restore('tolerations');
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && newSpec.terminationGracePeriodSeconds === 1) {
    restore('terminationGracePeriodSeconds');
  }
  // Scheduling gates may only be removed.
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  if ((newSpec.schedulingGates ?? []).every((g) => oldGates.has(g.name))) restore('schedulingGates');
  if (!isDeepStrictEqual(munged, oldSpec)) {
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}

export const podStrategy = {
  defaults(pod) {
    setPodDefaults(pod);
  },
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: podQosClass(pod) };
    if ((pod.spec?.schedulingGates ?? []).length > 0) {
      pod.status.conditions = [{
        type: 'PodScheduled', status: 'False', reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      }];
    }
  },
  validate(pod) {
    return [...validateObjectMeta(pod.metadata), ...validatePodSpec(pod.spec, 'spec')];
  },
  prepareForUpdate(pod, old) {
    if (old.status === undefined) delete pod.status;
    else pod.status = structuredClone(old.status);
  },
  validateUpdate(pod, old) {
    return [
      ...validateObjectMeta(pod.metadata),
      ...validatePodSpec(pod.spec, 'spec'),
      ...validatePodSpecUpdate(pod.spec ?? { containers: [] }, old.spec ?? { containers: [] }),
    ];
  },
  prepareForStatusUpdate(pod, old) {
    if (old.spec === undefined) delete pod.spec;
    else pod.spec = structuredClone(old.spec);
    // Old kubelets corrupt ownerReferences; pods/status never changes them.
    const meta = { ...pod.metadata };
    if (old.metadata?.ownerReferences === undefined) delete meta.ownerReferences;
    else meta.ownerReferences = structuredClone(old.metadata.ownerReferences);
    pod.metadata = meta;
  },
  validateStatusUpdate(pod, old) {
    const errs: FieldError[] = [];
    const from = old.status?.phase ?? '';
    const to = pod.status?.phase ?? '';
    if (TERMINAL_PHASES.has(from) && !TERMINAL_PHASES.has(to)) {
      errs.push(field.forbidden('status.phase', `cannot transition from a terminal phase ${from} to a non-terminal phase ${to}`));
    }
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) for (const m of dns1123SubdomainErrors(nominated)) errs.push(field.invalid('status.nominatedNodeName', nominated, m));
    return errs;
  },
  async admit(pod, ctx) {
    admitServiceAccount(pod);
    admitDefaultTolerationSeconds(pod);
    // Priority is resolved once, on create (a create may not carry a resourceVersion);
    // updates keep what was stored even if the class is gone since.
    const isUpdate = Boolean(pod.metadata?.resourceVersion) && pod.spec?.priority !== undefined;
    if (!isUpdate) await admitPriority(pod, ctx);
  },
  defaultGracePeriodSeconds(pod) {
    return pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  },
  deleteImmediately(pod) {
    return !pod.spec?.nodeName || TERMINAL_PHASES.has(pod.status?.phase ?? '');
  },
} satisfies Strategy<PodObject>;
