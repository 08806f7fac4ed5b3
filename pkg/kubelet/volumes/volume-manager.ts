// The kubelet's volume manager, reduced to the in-tree plugins we support. Every pod volume
// but hostPath is a host directory under <rootDir>/pods/<uid>/volumes/<plugin>/<name> (plugin
// escaped as upstream does, e.g. kubernetes.io~configmap) that containers bind-mount:
//   emptyDir      a directory (tmpfs for medium: Memory when we can mount)
//   hostPath      the host path itself, after its type check
//   configMap, secret, downwardAPI, projected
//                 files written by the atomic writer; refresh() rewrites them in place, so
//                 running containers see updates (except through subPath, as upstream)
//   persistentVolumeClaim  bound to a hostPath or local PV: that path
import { chmodSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigMap, Container, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { integerValue } from '../../api/quantity.js';
import type { RestClient } from '../../client/rest-client.js';
import { writeAtomically, type Payload } from './atomic-writer.js';
import { configMapPayload } from './config-map-payload.js';
import { downwardApiPayload, fieldPathValue, type NodeAllocatable } from './downward-api-payload.js';
import { checkHostPathType } from './host-path-type.js';
import { projectedPayload } from './projected-payload.js';
import { secretPayload } from './secret-payload.js';
import { canMountTmpfs, mountPointsUnder, mountTmpfs, unmount } from './tmpfs.js';
import { VolumeConfigError } from './volume-config-error.js';

export interface VolumeManagerOptions {
  rootDir: string;
  client: RestClient;
  log: Logger;
  /** What an unset limit reads as in downwardAPI resourceFieldRefs; defaults to this host's. */
  nodeAllocatable?: NodeAllocatable;
  /** 'auto' (default): tmpfs for memory-backed volumes when running as root; 'never': directories. */
  memoryMedium?: 'auto' | 'never';
  /** The token written for serviceAccountToken sources; defaults to an unsigned placeholder JWT. */
  serviceAccountToken?(pod: Pod, audience: string | undefined, expirationSeconds: number): string;
}

export interface ContainerMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

const PLUGIN_DIR = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

/** Upstream mounts API-data volumes read-only whatever the volumeMount says. */
const READ_ONLY_KINDS = ['configMap', 'secret', 'downwardAPI', 'projected'] as const;

export class VolumeManager {
  readonly #opts: VolumeManagerOptions;
  readonly #allocatable: NodeAllocatable;
  /** Warn once that memory-backed volumes are plain directories here. */
  #warnedNoTmpfs = false;

  constructor(opts: VolumeManagerOptions) {
    this.#opts = opts;
    this.#allocatable = opts.nodeAllocatable ?? { cpu: String(os.cpus().length), memory: String(os.totalmem()) };
  }

  /** <rootDir>/pods/<uid>: everything the pod's volumes put on disk. */
  podDir(podUid: string): string {
    return join(this.#opts.rootDir, 'pods', podUid);
  }

  /**
   * Creates (or re-checks) every volume of the pod; resolves volume name → host path. Every
   * volume is attempted; the first failure is thrown as a VolumeConfigError naming its volume.
   */
  async setupPod(pod: Pod): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    let first: VolumeConfigError | undefined;
    for (const volume of pod.spec?.volumes ?? []) {
      try {
        paths.set(volume.name, await this.#setup(pod, volume));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#opts.log.warn({ pod: podKey(pod), volume: volume.name, err: message }, 'MountVolume.SetUp failed');
        first ??= new VolumeConfigError(message, volume.name);
      }
    }
    if (first) throw first;
    return paths;
  }

  /** Unmounts what we mounted under the pod's directory, then removes it. */
  async teardownPod(podUid: string): Promise<void> {
    if (!podUid || podUid.includes('/') || podUid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(podUid)}`);
    const dir = this.podDir(podUid);
    for (const point of await mountPointsUnder(dir)) {
      // Never remove a tree with something still mounted in it: that would delete its contents.
      await unmount(point);
    }
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Rewrites configMap/secret/downwardAPI/projected contents that changed, atomically. An
   * object that disappeared leaves the last contents in place (upstream logs and keeps them).
   */
  async refresh(pod: Pod): Promise<void> {
    for (const volume of pod.spec?.volumes ?? []) {
      const kind = apiDataKind(volume);
      if (!kind) continue;
      const dir = this.#volumeDir(pod, PLUGIN_DIR[kind], volume.name);
      if (!existsSync(dir)) continue; // never set up (the pod is not running yet)
      try {
        const payload = await this.#payload(pod, volume);
        if (payload && await writeAtomically(dir, payload)) {
          this.#opts.log.info({ pod: podKey(pod), volume: volume.name }, 'volume contents updated');
        }
      } catch (err) {
        this.#opts.log.warn({ pod: podKey(pod), volume: volume.name, err: err instanceof Error ? err.message : String(err) }, 'volume refresh failed; keeping the last contents');
      }
    }
  }

  /** The bind mounts of a container's volumeMounts (subPath resolved and created on the host). */
  mountsFor(pod: Pod, container: Container, volumePaths: Map<string, string>): ContainerMount[] {
    const mounts: ContainerMount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const volumePath = volumePaths.get(vm.name);
      if (volumePath === undefined) throw new Error(`cannot find volume ${JSON.stringify(vm.name)} to mount into container ${JSON.stringify(container.name)}`);
      const volume = pod.spec?.volumes?.find((v) => v.name === vm.name);
      const mustMountRO = volume !== undefined && apiDataKind(volume) !== undefined;
      let hostPath = volumePath;
      const subPath = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, pod, container) : vm.subPath;
      if (subPath) hostPath = resolveSubPath(volumePath, subPath);
      mounts.push({ hostPath, containerPath: vm.mountPath, readOnly: (vm.readOnly ?? false) || mustMountRO });
    }
    return mounts;
  }

  async #setup(pod: Pod, volume: Volume): Promise<string> {
    if (volume.hostPath) {
      await checkHostPathType(volume.hostPath.path, volume.hostPath.type);
      return volume.hostPath.path;
    }
    if (volume.emptyDir) {
      const dir = await this.#makeVolumeDir(pod, PLUGIN_DIR.emptyDir, volume.name);
      if (volume.emptyDir.medium === 'Memory') {
        const limit = volume.emptyDir.sizeLimit;
        await this.#memoryBacked(dir, limit !== undefined ? integerValue(limit) : undefined);
      }
      return dir;
    }
    if (volume.persistentVolumeClaim) return this.#claimPath(pod, volume.persistentVolumeClaim.claimName);
    const kind = apiDataKind(volume);
    if (!kind) throw new Error(`no volume plugin matched`);
    const dir = await this.#makeVolumeDir(pod, PLUGIN_DIR[kind], volume.name);
    // Secrets (and projections, which may carry them) never touch the disk upstream.
    if (kind === 'secret' || kind === 'projected') await this.#memoryBacked(dir, undefined);
    const payload = await this.#payload(pod, volume);
    if (payload) await writeAtomically(dir, payload);
    return dir;
  }

  /** The payload of an API-data volume; throws upstream's message when an object is missing. */
  async #payload(pod: Pod, volume: Volume): Promise<Payload | undefined> {
    const ns = pod.metadata?.namespace ?? 'default';
    if (volume.configMap) {
      const src = volume.configMap;
      const optional = src.optional ?? false;
      const cm = await this.#getConfigMap(ns, src.name ?? '');
      if (!cm && !optional) throw new Error(`configmap ${JSON.stringify(src.name ?? '')} not found`);
      return configMapPayload(src.items, cm ?? {}, src.defaultMode, optional);
    }
    if (volume.secret) {
      const src = volume.secret;
      const optional = src.optional ?? false;
      const secret = await this.#getSecret(ns, src.secretName ?? '');
      if (!secret && !optional) throw new Error(`secret ${JSON.stringify(src.secretName ?? '')} not found`);
      return secretPayload(src.items, secret ?? {}, src.defaultMode, optional);
    }
    if (volume.downwardAPI) return downwardApiPayload(volume.downwardAPI.items, pod, volume.downwardAPI.defaultMode, this.#allocatable);
    if (volume.projected) {
      const configMaps = new Map<string, ConfigMap | undefined>();
      const secrets = new Map<string, Secret | undefined>();
      for (const s of volume.projected.sources ?? []) {
        if (s.configMap) configMaps.set(s.configMap.name ?? '', await this.#getConfigMap(ns, s.configMap.name ?? ''));
        if (s.secret) secrets.set(s.secret.name ?? '', await this.#getSecret(ns, s.secret.name ?? ''));
      }
      const token = this.#opts.serviceAccountToken ?? placeholderToken;
      return projectedPayload(volume.projected, pod, {
        configMaps, secrets, allocatable: this.#allocatable,
        serviceAccountToken: (audience, expirationSeconds) => token(pod, audience, expirationSeconds),
      });
    }
    return undefined;
  }

  async #getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    try {
      return await this.#opts.client.resource('configmaps').get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    try {
      return await this.#opts.client.resource('secrets').get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #claimPath(pod: Pod, claimName: string): Promise<string> {
    const ns = pod.metadata?.namespace ?? 'default';
    let pvName: string | undefined;
    try {
      const pvc = await this.#opts.client.resource('persistentvolumeclaims').get(ns, claimName);
      pvName = pvc.spec?.volumeName;
    } catch (err) {
      if (isNotFound(err)) throw new Error(`persistentvolumeclaim ${JSON.stringify(claimName)} not found`);
      throw err;
    }
    if (!pvName) throw new Error(`PVC ${ns}/${claimName} has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")`);
    const pv = await this.#opts.client.resource('persistentvolumes').get('', pvName);
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) throw new Error(`no volume plugin matched`);
    if (pv.spec?.hostPath) await checkHostPathType(path, pv.spec.hostPath.type);
    return path;
  }

  async #makeVolumeDir(pod: Pod, plugin: string, name: string): Promise<string> {
    const dir = this.#volumeDir(pod, plugin, name);
    await mkdir(dir, { recursive: true });
    // emptyDir's 0777, whatever the umask, so non-root containers can write.
    await chmod(dir, 0o777);
    return dir;
  }

  #volumeDir(pod: Pod, plugin: string, name: string): string {
    const uid = pod.metadata?.uid ?? '';
    if (!uid || uid.includes('/') || uid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
    return join(this.podDir(uid), 'volumes', plugin, name);
  }

  async #memoryBacked(dir: string, sizeBytes: number | undefined): Promise<void> {
    if (this.#opts.memoryMedium === 'never' || !canMountTmpfs()) {
      this.#warnNoTmpfs('not running as root');
      return;
    }
    try {
      await mountTmpfs(dir, sizeBytes);
      await chmod(dir, 0o777);
    } catch (err) {
      this.#warnNoTmpfs(err instanceof Error ? err.message : String(err));
    }
  }

  #warnNoTmpfs(why: string): void {
    if (this.#warnedNoTmpfs) return;
    this.#warnedNoTmpfs = true;
    this.#opts.log.warn({ why }, 'memory-backed volumes (emptyDir medium Memory, secrets, projected) are plain directories on this node');
  }
}

function apiDataKind(volume: Volume): (typeof READ_ONLY_KINDS)[number] | undefined {
  return READ_ONLY_KINDS.find((k) => volume[k] !== undefined);
}

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/**
 * volumePath/subPath, which must stay inside the volume even through symlinks; a missing
 * subPath is created as a directory (0755), as the kubelet does.
 */
export function resolveSubPath(volumePath: string, subPath: string): string {
  const full = resolve(volumePath, subPath);
  const rel = relative(volumePath, full);
  if (rel.startsWith('..') || rel.startsWith(sep) || subPath.startsWith('/')) {
    throw new Error(`subpath ${JSON.stringify(full)} not within volume path ${JSON.stringify(volumePath)}`);
  }
  if (!existsSync(full)) {
    mkdirSync(full, { recursive: true, mode: 0o755 });
    chmodSync(full, 0o755);
  }
  const realVolume = realpathSync(volumePath);
  const real = realpathSync(full);
  if (real !== realVolume && !real.startsWith(realVolume + sep)) {
    throw new Error(`subpath ${JSON.stringify(real)} not within volume path ${JSON.stringify(realVolume)}`);
  }
  return full;
}

/** $(VAR) in subPathExpr from the container's env values and downward API fields. */
function expandSubPathExpr(expr: string, pod: Pod, container: Container): string {
  const env = new Map<string, string>();
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env.set(e.name, e.value);
    else if (e.valueFrom?.fieldRef) {
      try { env.set(e.name, fieldPathValue(pod, e.valueFrom.fieldRef.fieldPath)); } catch { /* unsupported: leave it unexpanded */ }
    }
  }
  return expr.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env.has(name) ? env.get(name) ?? '' : m;
  });
}

/** An unsigned JWT with the claims a bound service account token carries; nothing verifies it. */
function placeholderToken(pod: Pod, audience: string | undefined, expirationSeconds: number): string {
  const now = Math.floor(Date.now() / 1000);
  const ns = pod.metadata?.namespace ?? 'default';
  const sa = pod.spec?.serviceAccountName ?? 'default';
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return [
    b64({ alg: 'none', typ: 'JWT' }),
    b64({
      aud: [audience ?? 'https://kubernetes.default.svc.cluster.local'],
      exp: now + expirationSeconds, iat: now, nbf: now,
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: `system:serviceaccount:${ns}:${sa}`,
      'kubernetes.io': { namespace: ns, pod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' }, serviceaccount: { name: sa } },
    }),
    '',
  ].join('.');
}
