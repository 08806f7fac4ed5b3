// A volume refers to a configMap, secret or key that does not exist and is not optional: the
// kubelet reports the container as Waiting with reason CreateContainerConfigError and this
// message (e.g. `configmap "x" not found`).
export class VolumeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeConfigError';
  }
}
