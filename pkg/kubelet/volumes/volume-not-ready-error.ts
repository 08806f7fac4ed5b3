// A volume that cannot be set up yet but may be on a later sync without the pod changing:
// a claim not bound yet, a driver not registered yet. The manager reports it as any other
// setup failure (FailedMount, the pod stays ContainerCreating, the sync retries) but marks
// it, so a caller can tell waiting from a broken spec.
export class VolumeNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeNotReadyError';
  }
}
