// The fields each kind exposes to field selectors, as upstream's registries compute them
// (pkg/registry/*/strategy.go ToSelectableFields) and the labels their field-label
// conversion functions accept (pkg/apis/*/v1/conversion.go).
import type { KubeObject } from '../api/meta.js';
import type { FieldSelector } from '../api/fields.js';
import { errors } from '../api/errors.js';
import { RESOURCES } from '../api/resources.js';

type Fields = Record<string, string>;
// Objects arrive as parsed JSON of any kind; each extractor reads only what its kind defines.
type Obj = Record<string, any>;

interface KindFields {
  /** Labels the conversion function accepts; absent means metadata.name and metadata.namespace. */
  supported?: readonly string[];
  extra(obj: Obj): Fields;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): string => String(typeof v === 'number' ? v : 0);

const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName',
  'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName',
  // Old v1 clients send spec.host; upstream converts it to spec.nodeName.
  'spec.host'];

const EVENT_FIELDS = ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
  'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent',
  'source', 'type', 'metadata.namespace', 'metadata.name'];

const KINDS: Record<string, KindFields> = {
  '/pods': {
    supported: POD_FIELDS,
    extra: (p) => {
      const ips: { ip?: string }[] = p.status?.podIPs ?? [];
      const podIP = ips[0]?.ip ?? '';
      return {
        'spec.nodeName': str(p.spec?.nodeName),
        'spec.host': str(p.spec?.nodeName),
        'spec.restartPolicy': str(p.spec?.restartPolicy),
        'spec.schedulerName': str(p.spec?.schedulerName),
        'spec.serviceAccountName': str(p.spec?.serviceAccountName),
        'spec.hostNetwork': String(p.spec?.hostNetwork === true),
        'status.phase': str(p.status?.phase),
        'status.podIP': podIP,
        'status.podIPs': ips.map((x) => x.ip ?? '').join(','),
        'status.nominatedNodeName': str(p.status?.nominatedNodeName),
      };
    },
  },
  '/events': {
    supported: EVENT_FIELDS,
    extra: (e) => {
      const o = e.involvedObject ?? {};
      return {
        'involvedObject.kind': str(o.kind),
        'involvedObject.namespace': str(o.namespace),
        'involvedObject.name': str(o.name),
        'involvedObject.uid': str(o.uid),
        'involvedObject.apiVersion': str(o.apiVersion),
        'involvedObject.resourceVersion': str(o.resourceVersion),
        'involvedObject.fieldPath': str(o.fieldPath),
        reason: str(e.reason),
        reportingComponent: str(e.reportingComponent),
        // Events written through events.k8s.io carry only the reporting controller.
        source: str(e.source?.component) || str(e.reportingComponent),
        type: str(e.type),
      };
    },
  },
  '/namespaces': { supported: ['status.phase', 'metadata.name'], extra: (n) => ({ 'status.phase': str(n.status?.phase) }) },
  '/nodes': { supported: ['metadata.name', 'spec.unschedulable'], extra: (n) => ({ 'spec.unschedulable': String(n.spec?.unschedulable === true) }) },
  '/secrets': { supported: ['type', 'metadata.namespace', 'metadata.name'], extra: (s) => ({ type: str(s.type) }) },
  '/services': {
    supported: ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'],
    extra: (s) => ({ 'spec.clusterIP': str(s.spec?.clusterIP), 'spec.type': str(s.spec?.type) }),
  },
  '/replicationcontrollers': {
    supported: ['metadata.name', 'metadata.namespace', 'status.replicas'],
    extra: (r) => ({ 'status.replicas': num(r.status?.replicas) }),
  },
  'apps/replicasets': {
    supported: ['metadata.name', 'metadata.namespace', 'status.replicas'],
    extra: (r) => ({ 'status.replicas': num(r.status?.replicas) }),
  },
  'batch/jobs': {
    supported: ['metadata.name', 'metadata.namespace', 'status.successful'],
    extra: (j) => ({ 'status.successful': num(j.status?.succeeded) }),
  },
  'certificates.k8s.io/certificatesigningrequests': {
    supported: ['metadata.name', 'spec.signerName'],
    extra: (c) => ({ 'spec.signerName': str(c.spec?.signerName) }),
  },
};

const DEFAULT_SUPPORTED = ['metadata.name', 'metadata.namespace'];

function isNamespaced(group: string, plural: string): boolean {
  const res = RESOURCES.find((r) => r.group === group && r.plural === plural);
  return res ? res.namespaced : true;
}

/**
 * The selectable fields of one object: metadata.name, metadata.namespace for namespaced
 * kinds, and the kind's own field labels. Missing values are empty strings, as upstream sets them.
 */
export function fieldSet(group: string, plural: string, obj: KubeObject): Record<string, string> {
  const out: Fields = { 'metadata.name': obj.metadata?.name ?? '' };
  if (isNamespaced(group, plural)) out['metadata.namespace'] = obj.metadata?.namespace ?? '';
  const kind = KINDS[`${group}/${plural}`];
  return kind ? Object.assign(out, kind.extra(obj as Obj)) : out;
}

/** The field labels a kind accepts in a fieldSelector. */
export function supportedFieldLabels(group: string, plural: string): readonly string[] {
  return KINDS[`${group}/${plural}`]?.supported ?? DEFAULT_SUPPORTED;
}

/** Rejects labels the kind does not support with upstream's 400 `field label not supported: <label>`. */
export function validateFieldSelector(group: string, plural: string, sel: FieldSelector): void {
  const supported = supportedFieldLabels(group, plural);
  for (const r of sel.requirements) {
    if (!supported.includes(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
  }
}
