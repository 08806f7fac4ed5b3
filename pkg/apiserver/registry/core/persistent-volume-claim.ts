// PersistentVolumeClaims and PersistentVolumes: defaults and the status split.
import { isDeepStrictEqual } from 'node:util';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { validateObjectMeta } from '../object-meta-validation.js';

type PvcObject = { -readonly [K in keyof PersistentVolumeClaim]: PersistentVolumeClaim[K] } & KubeObject;
type PvObject = { -readonly [K in keyof PersistentVolume]: PersistentVolume[K] } & KubeObject;

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

function validateAccessModes(modes: string[] | undefined, path: string): FieldError[] {
  if (!modes?.length) return [field.required(path, 'at least 1 access mode is required')];
  return modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => field.notSupported(path, m, ACCESS_MODES));
}

function validateClaim(pvc: PvcObject): FieldError[] {
  const errs = [...validateObjectMeta(pvc.metadata), ...validateAccessModes(pvc.spec?.accessModes, 'spec.accessModes')];
  if (pvc.spec?.resources?.requests?.['storage'] === undefined && !pvc.spec?.dataSourceRef) {
    errs.push(field.required('spec.resources[storage]'));
  }
  return errs;
}

export const persistentVolumeClaimStrategy = {
  defaults(pvc) {
    if (pvc.spec) pvc.spec.volumeMode ||= 'Filesystem';
    if (pvc.status) pvc.status.phase ||= 'Pending';
  },
  prepareForCreate(pvc) { pvc.status = { phase: 'Pending' }; },
  validate: validateClaim,
  prepareForUpdate(pvc, old) {
    if (old.status === undefined) delete pvc.status;
    else pvc.status = structuredClone(old.status);
  },
  validateUpdate(pvc, old) {
    const errs = validateClaim(pvc);
    // Only requests (expansion), volumeAttributesClassName and the first bind may change.
    const rest = (o: PvcObject, volumeName: string | undefined) => {
      const spec: Record<string, unknown> = { ...o.spec, volumeName };
      delete spec['resources'];
      delete spec['volumeAttributesClassName'];
      return spec;
    };
    const bound = old.spec?.volumeName || pvc.spec?.volumeName;
    if (!isDeepStrictEqual(rest(pvc, bound), rest(old, old.spec?.volumeName || pvc.spec?.volumeName))) {
      errs.push(field.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
    return errs;
  },
  prepareForStatusUpdate(pvc, old) {
    if (old.spec === undefined) delete pvc.spec;
    else pvc.spec = structuredClone(old.spec);
  },
} satisfies Strategy<PvcObject>;

export const persistentVolumeStrategy = {
  defaults(pv) {
    if (pv.spec) {
      pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
      pv.spec.volumeMode ||= 'Filesystem';
      if (pv.spec.hostPath) pv.spec.hostPath.type ??= '';
    }
    if (pv.status) pv.status.phase ||= 'Pending';
  },
  prepareForCreate(pv) { pv.status = { phase: 'Pending' }; },
  validate(pv) { return [...validateObjectMeta(pv.metadata), ...validateAccessModes(pv.spec?.accessModes, 'spec.accessModes')]; },
  prepareForUpdate(pv, old) {
    if (old.status === undefined) delete pv.status;
    else pv.status = structuredClone(old.status);
  },
  validateUpdate(pv) { return [...validateObjectMeta(pv.metadata), ...validateAccessModes(pv.spec?.accessModes, 'spec.accessModes')]; },
  prepareForStatusUpdate(pv, old) {
    if (old.spec === undefined) delete pv.spec;
    else pv.spec = structuredClone(old.spec);
  },
} satisfies Strategy<PvObject>;
