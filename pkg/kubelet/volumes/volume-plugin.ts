// The one interface every volume type implements, as upstream's VolumePlugin
// (pkg/volume/plugins.go): a name, canSupport, and setUp/tearDown standing in for
// NewMounter().SetUp and NewUnmounter().TearDown. The volume manager finds the one plugin
// that supports a pod volume and calls it; it knows no volume type itself.
import type { ConfigMap, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { RestClient } from '../../client/rest-client.js';
import type { NodeAllocatable } from './downward-api-payload.js';

export interface VolumePlugin {
  /** Upstream's plugin name, e.g. 'kubernetes.io/configmap'; escaped, it names the volume's directory. */
  readonly name: string;
  /** Whether this plugin handles the volume; exactly one plugin may. */
  canSupport(volume: Volume): boolean;
  /**
   * Makes the volume ready for the pod's containers and resolves to the host path they
   * bind-mount: usually `dir` (<pod dir>/volumes/<escaped name>/<volume name>, not yet created),
   * or a path elsewhere on the host (hostPath). Runs on every sync, so it must be idempotent.
   * Throws with upstream's message on a configuration error, or a VolumeNotReadyError when
   * something it waits for (a claim's binding, a driver) is not there yet; the sync retries.
   */
  setUp(pod: Pod, volume: Volume, dir: string, host: VolumeHost): Promise<string>;
  /**
   * Undoes setUp for a volume found at `dir` when the pod goes (upstream TearDown, which has
   * only the directory too). The manager afterwards unmounts whatever is still mounted under
   * the pod's directory and removes it, so a plain directory needs no tearDown.
   */
  tearDown?(podUid: string, volumeName: string, dir: string, host: VolumeHost): Promise<void>;
  /**
   * Upstream's RequiresRemount: the contents follow API objects. The manager calls this for a
   * volume already set up so running containers see updates; resolves true when anything
   * changed. Failing leaves the last contents in place.
   */
  remount?(pod: Pod, volume: Volume, dir: string, host: VolumeHost): Promise<boolean>;
  /** Containers mount it read-only whatever their volumeMount says (API data, upstream). */
  readonly isReadOnly?: boolean;
}

/** What the kubelet lends its volume plugins (upstream VolumeHost). */
export interface VolumeHost {
  /** For plugins that look objects up themselves (claims, volumes, drivers). */
  readonly client: RestClient;
  readonly log: Logger;
  /** undefined when the object does not exist; other errors are thrown. */
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  /** What an unset limit reads as in downwardAPI resourceFieldRefs. */
  readonly nodeAllocatable: NodeAllocatable;
  /** The token written for a projected serviceAccountToken source. */
  serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): string;
  /** Mounts a tmpfs on dir when this node can; otherwise dir stays a directory (warned once). */
  memoryBacked(dir: string, sizeBytes: number | undefined): Promise<void>;
}

/** The directory name of a plugin: '/' becomes '~' (upstream utilstrings.EscapeQualifiedName). */
export function escapeQualifiedName(name: string): string {
  return name.replaceAll('/', '~');
}
