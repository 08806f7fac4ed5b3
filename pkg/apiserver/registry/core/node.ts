// Nodes (pkg/registry/core/node/strategy.go). Unlike workloads, a node is created with
// its status (the kubelet registers it that way), so create keeps status.
import type { Node } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import { labelKeyErrors } from '../../../api/labels.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateObjectMeta } from '../object-meta-validation.js';

type NodeObject = { -readonly [K in keyof Node]: Node[K] } & KubeObject;

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validate(n: NodeObject): FieldError[] {
  const errs = validateObjectMeta(n.metadata);
  const seen = new Set<string>();
  (n.spec?.taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    for (const m of labelKeyErrors(t.key)) errs.push(field.invalid(`${p}.key`, t.key, m));
    if (!t.effect) errs.push(field.required(`${p}.effect`));
    else if (!EFFECTS.includes(t.effect)) errs.push(field.notSupported(`${p}.effect`, t.effect, EFFECTS));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push(field.duplicate(p, `taints must be unique by key and effect pair`));
    seen.add(key);
  });
  return errs;
}

export const nodeStrategy = {
  validate,
  // Kubelets register their Node with its status (capacity, addresses): create keeps it.
  prepareForCreate() { /* status is the kubelet's to set at registration */ },
  prepareForUpdate(n, old) {
    if (old.status === undefined) delete n.status;
    else n.status = structuredClone(old.status);
  },
  validateUpdate(n, old) {
    const errs = validate(n);
    const was = old.spec?.podCIDR;
    if (was && n.spec?.podCIDR !== was) errs.push(field.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
    if (old.spec?.providerID && n.spec?.providerID !== old.spec.providerID) {
      errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
    return errs;
  },
  prepareForStatusUpdate(n, old) {
    if (old.spec === undefined) delete n.spec;
    else n.spec = structuredClone(old.spec);
  },
} satisfies Strategy<NodeObject>;
