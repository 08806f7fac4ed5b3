// The kubelet's volume manager, reduced to the in-tree volume plugins we support: each pod
// volume is a host directory under <rootDir>/pods/<uid>/volumes/<plugin>/<name>
// (plugin as upstream escapes it, e.g. kubernetes.io~configmap) that containers bind-mount.
import type { Logger } from 'pino';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../../client/rest-client.js';

export interface VolumeManagerOptions {
  rootDir: string;
  client: RestClient;
  log: Logger;
}

export interface ContainerMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export class VolumeManager {
  readonly #opts: VolumeManagerOptions;

  constructor(opts: VolumeManagerOptions) { this.#opts = opts; }

  /**
   * Creates (or re-checks) every volume of the pod; resolves volume name → host path.
   * Throws VolumeConfigError for a missing, non-optional configMap/secret/key.
   */
  async setupPod(pod: Pod): Promise<Map<string, string>> { void pod; void this.#opts; return new Map(); }

  /** Unmounts and removes everything under the pod's directory. */
  async teardownPod(podUid: string): Promise<void> { void podUid; }

  /** Rewrites configMap/secret/downwardAPI/projected contents that changed, atomically. */
  async refresh(pod: Pod): Promise<void> { void pod; }

  /** The bind mounts of a container's volumeMounts (subPath resolved on the host). */
  mountsFor(pod: Pod, container: Container, volumePaths: Map<string, string>): ContainerMount[] {
    void pod; void container; void volumePaths; return [];
  }
}
