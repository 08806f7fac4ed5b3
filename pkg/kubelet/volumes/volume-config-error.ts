// A volume cannot be set up because of the pod's configuration: a configMap, secret or key it
// names does not exist and is not optional, or a hostPath fails its type check. Upstream the
// pod then stays ContainerCreating and the kubelet records a FailedMount event per attempt:
//   MountVolume.SetUp failed for volume "cfg" : configmap "x" not found
export class VolumeConfigError extends Error {
  /** The pod volume that failed, when known. */
  readonly volumeName: string;
  /** The plugin is waiting for something (VolumeNotReadyError), not refusing the spec. */
  readonly isNotReady: boolean;

  constructor(message: string, volumeName = '', isNotReady = false) {
    super(message);
    this.name = 'VolumeConfigError';
    this.volumeName = volumeName;
    this.isNotReady = isNotReady;
  }

  /** The FailedMount event message. */
  get eventMessage(): string {
    return `MountVolume.SetUp failed for volume ${JSON.stringify(this.volumeName)} : ${this.message}`;
  }
}

/** The FailedMount event reason. */
export const FAILED_MOUNT_REASON = 'FailedMount';
