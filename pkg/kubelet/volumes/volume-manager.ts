// The kubelet's volume manager: for each pod volume it finds the one plugin that supports it
// (volume-plugins.ts) and calls it; it names no volume type itself. A volume lives in
// <rootDir>/pods/<uid>/volumes/<plugin>/<name> (plugin name escaped as upstream does, e.g.
// kubernetes.io~configmap) unless its plugin returns another host path (hostPath, claims).
// refresh() remounts the volumes whose contents follow API objects, so running containers
// see updates (except through subPath, as upstream).
import { chmodSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { chmod, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import type { RestClient } from '../../client/rest-client.js';
import { fieldPathValue, type NodeAllocatable } from './downward-api-payload.js';
import { canMountTmpfs, mountPointsUnder, mountTmpfs, unmount } from './tmpfs.js';
import { VolumeConfigError } from './volume-config-error.js';
import { VolumeNotReadyError } from './volume-not-ready-error.js';
import { escapeQualifiedName, type VolumeHost, type VolumePlugin } from './volume-plugin.js';
import { findPluginBySpec, VOLUME_PLUGINS } from './volume-plugins.js';

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
  /** The volume types this kubelet supports; defaults to VOLUME_PLUGINS. */
  plugins?: readonly VolumePlugin[];
}

export interface ContainerMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export class VolumeManager {
  readonly #opts: VolumeManagerOptions;
  readonly #plugins: readonly VolumePlugin[];
  readonly #host: VolumeHost;
  /** Warn once that memory-backed volumes are plain directories here. */
  #warnedNoTmpfs = false;

  constructor(opts: VolumeManagerOptions) {
    this.#opts = opts;
    this.#plugins = opts.plugins ?? VOLUME_PLUGINS;
    const token = opts.serviceAccountToken ?? placeholderToken;
    this.#host = {
      client: opts.client,
      log: opts.log,
      nodeAllocatable: opts.nodeAllocatable ?? { cpu: String(os.cpus().length), memory: String(os.totalmem()) },
      getConfigMap: (ns, name) => unlessNotFound(opts.client.resource('configmaps').get(ns, name)),
      getSecret: (ns, name) => unlessNotFound(opts.client.resource('secrets').get(ns, name)),
      serviceAccountToken: (pod, audience, expirationSeconds) => token(pod, audience, expirationSeconds),
      memoryBacked: (dir, sizeBytes) => this.#memoryBacked(dir, sizeBytes),
    };
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
        const plugin = findPluginBySpec(this.#plugins, volume);
        paths.set(volume.name, await plugin.setUp(pod, volume, this.#volumeDir(pod, plugin, volume.name), this.#host));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#opts.log.warn({ pod: podKey(pod), volume: volume.name, err: message }, 'MountVolume.SetUp failed');
        first ??= new VolumeConfigError(message, volume.name, err instanceof VolumeNotReadyError);
      }
    }
    if (first) throw first;
    return paths;
  }

  /**
   * Tears down each volume found under the pod's directory whose plugin has a tearDown, then
   * unmounts what is still mounted there and removes the directory.
   */
  async teardownPod(podUid: string): Promise<void> {
    checkPodUid(podUid);
    const dir = this.podDir(podUid);
    for (const plugin of this.#plugins) {
      if (!plugin.tearDown) continue;
      const pluginDir = join(dir, 'volumes', escapeQualifiedName(plugin.name));
      for (const name of await readdir(pluginDir).catch(() => [] as string[])) {
        await plugin.tearDown(podUid, name, join(pluginDir, name), this.#host);
      }
    }
    for (const point of await mountPointsUnder(dir)) {
      // Never remove a tree with something still mounted in it: that would delete its contents.
      await unmount(point);
    }
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Remounts the volumes whose contents follow API objects; a change is written atomically.
   * An object that disappeared leaves the last contents in place (upstream logs and keeps them).
   */
  async refresh(pod: Pod): Promise<void> {
    for (const volume of pod.spec?.volumes ?? []) {
      const plugin = this.#pluginFor(volume);
      if (!plugin?.remount) continue;
      const dir = this.#volumeDir(pod, plugin, volume.name);
      if (!existsSync(dir)) continue; // never set up (the pod is not running yet)
      try {
        if (await plugin.remount(pod, volume, dir, this.#host)) {
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
      const mustMountRO = volume !== undefined && (this.#pluginFor(volume)?.isReadOnly ?? false);
      let hostPath = volumePath;
      const subPath = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, pod, container) : vm.subPath;
      if (subPath) hostPath = resolveSubPath(volumePath, subPath);
      mounts.push({ hostPath, containerPath: vm.mountPath, readOnly: (vm.readOnly ?? false) || mustMountRO });
    }
    return mounts;
  }

  /** undefined when no single plugin supports the volume (its setup failed already). */
  #pluginFor(volume: Volume): VolumePlugin | undefined {
    try {
      return findPluginBySpec(this.#plugins, volume);
    } catch {
      return undefined;
    }
  }

  #volumeDir(pod: Pod, plugin: VolumePlugin, name: string): string {
    const uid = pod.metadata?.uid ?? '';
    checkPodUid(uid);
    return join(this.podDir(uid), 'volumes', escapeQualifiedName(plugin.name), name);
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

function checkPodUid(uid: string): void {
  if (!uid || uid.includes('/') || uid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
}

async function unlessNotFound<T>(get: Promise<T>): Promise<T | undefined> {
  try {
    return await get;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
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
