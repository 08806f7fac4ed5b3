// persistentVolumeClaim (upstream's kubernetes.io/persistent-claim, since folded into the
// volume manager's populator): the claim's bound PersistentVolume, which must be a hostPath
// or local volume here; containers mount that path. A claim not bound yet is not an error in
// the pod: setUp reports it as not ready, and a later sync finds it bound.
import { isNotFound } from '../../api/errors.js';
import { checkHostPathType } from './host-path-type.js';
import { namespaceOf } from './api-data-plugin.js';
import { VolumeNotReadyError } from './volume-not-ready-error.js';
import type { VolumePlugin } from './volume-plugin.js';

export const persistentClaimPlugin = {
  name: 'kubernetes.io/persistent-claim',
  canSupport: (volume) => volume.persistentVolumeClaim !== undefined,
  async setUp(pod, volume, _dir, host) {
    const ns = namespaceOf(pod);
    const claimName = volume.persistentVolumeClaim?.claimName ?? '';
    let pvName: string | undefined;
    try {
      const pvc = await host.client.resource('persistentvolumeclaims').get(ns, claimName);
      pvName = pvc.spec?.volumeName;
    } catch (err) {
      if (isNotFound(err)) throw new Error(`persistentvolumeclaim ${JSON.stringify(claimName)} not found`);
      throw err;
    }
    if (!pvName) throw new VolumeNotReadyError(`PVC ${ns}/${claimName} has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")`);
    const pv = await host.client.resource('persistentvolumes').get('', pvName);
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) throw new Error('no volume plugin matched');
    if (pv.spec?.hostPath) await checkHostPathType(path, pv.spec.hostPath.type);
    return path;
  },
} satisfies VolumePlugin;
