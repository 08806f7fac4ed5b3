// The node agent (kubelet.go Run/syncLoop): registers the Node, heartbeats its Lease and
// status, watches only the pods bound to it, admits them against its allocatable, hands each
// to its pod worker, relists the runtime every second (PLEG) to notice containers that exited,
// and removes containers of pods that no longer exist. Stopping it leaves the pods running;
// a new kubelet adopts them.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Node, NodeStatus, Pod, PodStatus, Taint } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../api/errors.js';
import { milliValue, parseQuantity } from '../api/quantity.js';
import { realClock, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import { DeletedFinalStateUnknown, type SharedInformer } from '../client/informer.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { DeepReadonly } from '../client/lister.js';
import type { RestClient } from '../client/rest-client.js';
import { NodeLease } from './node-lease.js';
import { initialNode, nodeCapacity, nodeStatus, type NodeConfig } from './node-status.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager } from './probes/probe-manager.js';
import { InstrumentedRuntime } from './runtime/instrumented-runtime.js';
import type { ContainerRuntime, PodSandbox, RuntimeContainer } from './runtime/runtime.js';
import { KubeletServer } from './server/kubelet-server.js';
import { StatusManager } from './status-manager.js';
import { PodSync, runtimeState } from './sync-pod.js';
import { VolumeManager } from './volumes/volume-manager.js';

export interface KubeletOptions {
  nodeName: string;
  client: RestClient;
  runtime: ContainerRuntime;
  log: Logger;
  clock?: Clock;
  /** The kubelet server's address; also the node's InternalIP and every pod's hostIP. */
  address: string;
  port: number;
  maxPods?: number;
  cpu?: string;
  memory?: string;
  nodeLabels?: Record<string, string>;
  taints?: Taint[];
  rootDir: string;
  nodeStatusUpdateFrequencyMs?: number;
  nodeLeaseRenewIntervalMs?: number;
  /** PLEG relist period. */
  relistPeriodMs?: number;
  /** --sync-frequency: every pod is synced at least this often, changed or not. */
  syncFrequencyMs?: number;
  /**
   * How often running pods' configMap/secret/downwardAPI/projected volumes are rewritten
   * from the API (upstream resyncs them with each pod sync, about once a minute).
   */
  volumeRefreshPeriodMs?: number;
  /** Hollow nodes run without an HTTP server, probes or volumes on the host. */
  serve?: boolean;
  probes?: boolean;
  volumes?: boolean;
  identity?: Pick<NodeConfig, 'machineID' | 'systemUUID' | 'bootID'>;
}

export const DEFAULT_MAX_PODS = 110;
/** --sync-frequency's default (1m). */
export const DEFAULT_SYNC_FREQUENCY_MS = 60_000;

export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  /** opts.runtime, counted for /metrics; everything here goes through it. */
  readonly #runtime: InstrumentedRuntime;
  readonly #pods = new Map<string, DeepReadonly<Pod>>();
  /** UIDs admitted (or found running) by this process. */
  readonly #admitted = new Set<string>();
  readonly #rejected = new Set<string>();
  #nodeUid: string | undefined;
  #nodeStatus: NodeStatus | DeepReadonly<NodeStatus> | undefined;
  #runtimeVersion = '';
  #config!: NodeConfig;
  #podSync!: PodSync;
  #workers!: PodWorkers;
  #statusManager!: StatusManager;
  #recorder!: EventRecorder;
  #informer!: SharedInformer<Pod>;
  #lastRelist = new Map<string, string>();
  #probes: ProbeManager | undefined;

  constructor(opts: KubeletOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#runtime = new InstrumentedRuntime(opts.runtime);
  }

  get nodeName(): string { return this.#o.nodeName; }

  /** Runs until signal aborts, then stops without touching the pods. */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const version = await this.#retry(signal, 'runtime version', () => this.#runtime.version());
    this.#runtimeVersion = `${version.runtimeName}://${version.runtimeVersion}`;

    this.#recorder = new EventRecorder(o.client, { component: 'kubelet', host: o.nodeName, clock: this.#clock });
    this.#statusManager = new StatusManager({ client: o.client, log: this.#log, clock: this.#clock });
    const probes = o.probes === false ? undefined : new ProbeManager({
      runtime: this.#runtime, clock: this.#clock, log: this.#log, recorder: this.#recorder,
      onLivenessFailure: (uid, name, probe) => { this.#podSync.markUnhealthy(uid, name, probe); this.#resync(uid); },
      onChange: (uid) => this.#resync(uid),
    });
    const volumes = o.volumes === false ? undefined : new VolumeManager({ rootDir: o.rootDir, client: o.client, log: this.#log });
    this.#probes = probes;
    this.#podSync = new PodSync({
      runtime: this.#runtime, runtimeName: version.runtimeName, client: o.client, recorder: this.#recorder, log: this.#log,
      clock: this.#clock, nodeName: o.nodeName, hostIP: o.address, statusManager: this.#statusManager,
      probes, volumes, allocatable: () => this.#allocatable(),
    });
    this.#workers = new PodWorkers({
      syncer: this.#podSync, log: this.#log, clock: this.#clock, resyncIntervalMs: o.syncFrequencyMs ?? DEFAULT_SYNC_FREQUENCY_MS,
    });

    // The kubelet server (logs, healthz, metrics) is up before the Node advertises its port.
    let server: KubeletServer | undefined;
    if (o.serve !== false) {
      server = new KubeletServer({
        runtime: this.#runtime, address: o.address, port: o.port, log: this.#log,
        findContainer: (ns, name, container, previous) => this.#findContainer(ns, name, container, previous),
        metricsText: async () => this.#metricsText(),
      });
      await server.start();
    }
    this.#config = {
      nodeName: o.nodeName, address: o.address, port: server?.port || o.port, maxPods: o.maxPods ?? DEFAULT_MAX_PODS,
      ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}),
      ...(o.nodeLabels ? { labels: o.nodeLabels } : {}), ...(o.taints ? { taints: o.taints } : {}),
      ...o.identity,
    };

    await this.#retry(signal, 'register node', () => this.#registerNode(signal));
    const lease = new NodeLease({
      client: o.client, nodeName: o.nodeName, log: this.#log, clock: this.#clock,
      renewIntervalMs: o.nodeLeaseRenewIntervalMs ?? 10_000, nodeUid: () => this.#nodeUid,
    });
    const loops: Promise<void>[] = [lease.run(signal), this.#nodeStatusLoop(signal)];

    const factory = new InformerFactory(o.client, {
      clock: this.#clock, onError: (res, err) => this.#log.warn({ resource: res, err: String(err) }, 'watch failed'),
    });
    this.#informer = factory.informer('pods', { fieldSelector: `spec.nodeName=${o.nodeName}` });
    this.#informer.addEventHandler({
      add: (pod) => this.#handlePod(pod),
      update: (old, pod) => this.#handlePod(pod, old),
      delete: (obj) => this.#handleDelete(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
    });
    factory.start(signal);
    await factory.waitForCacheSync(signal);
    if (!signal.aborted) {
      this.#log.info({ node: o.nodeName, pods: this.#pods.size }, 'pods synced; kubelet running');
      loops.push(this.#relistLoop(signal));
      if (volumes) loops.push(this.#volumeRefreshLoop(volumes, signal));
    }

    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.#workers.stop();
    probes?.stop();
    await Promise.allSettled(loops);
    await factory.shutdown();
    await server?.close();
    await this.#recorder.flush();
  }

  // ---- pods ----

  #handlePod(pod: DeepReadonly<Pod>, old?: DeepReadonly<Pod>): void {
    const uid = pod.metadata?.uid ?? '';
    this.#pods.set(uid, pod);
    if (this.#rejected.has(uid)) return;
    if (old && this.#workers.isKnown(uid) && !needsSync(old, pod)) {
      // A reconcile, not an update (config.go checkAndUpdatePod): most are our own status
      // writes coming back, and syncing on each one made every pod sync several times more.
      this.#workers.setPod(pod);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // The probe workers read deletionTimestamp from their copy: liveness stops restarting
      // a container that is being terminated anyway.
      this.#probes?.updatePod(pod as Pod);
      this.#workers.updatePod({ pod, type: 'kill', gracePeriodSeconds: pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30 });
      return;
    }
    if (!this.#admitted.has(uid) && !this.#workers.isKnown(uid)) {
      const rejection = this.#canAdmitPod(pod);
      if (rejection) {
        this.#reject(pod, rejection.reason, rejection.message);
        return;
      }
      this.#admitted.add(uid);
    }
    this.#workers.updatePod({ pod, type: 'sync' });
  }

  #handleDelete(pod: DeepReadonly<Pod>): void {
    const uid = pod.metadata?.uid ?? '';
    this.#pods.delete(uid);
    this.#admitted.delete(uid);
    this.#rejected.delete(uid);
    if (this.#workers.isKnown(uid)) {
      this.#workers.updatePod({ pod, type: 'kill', gracePeriodSeconds: pod.metadata?.deletionGracePeriodSeconds ?? 0 });
    }
    this.#workers.forget(uid);
  }

  #resync(uid: string): void {
    const pod = this.#pods.get(uid);
    if (pod && !pod.metadata?.deletionTimestamp && !this.#rejected.has(uid)) this.#workers.updatePod({ pod, type: 'sync' });
  }

  /** canAdmitPod: the pod fits in what the admitted, non-terminal pods leave of allocatable. */
  #canAdmitPod(pod: DeepReadonly<Pod>): { reason: string; message: string } | undefined {
    // A pod that already ran here (kubelet restart) is re-admitted as it is.
    if ((pod.status?.containerStatuses?.length ?? 0) > 0 || pod.status?.phase === 'Running') return undefined;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
    const allocatable = this.#allocatable();
    const active = [...this.#pods.values()].filter((p) => this.#admitted.has(p.metadata?.uid ?? '')
      && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const checks: [string, number, number, number][] = [];
    const capacityPods = Number(allocatable['pods'] ?? DEFAULT_MAX_PODS);
    checks.push(['pods', 1, active.length, capacityPods]);
    const want = podRequests(pod);
    const used = active.reduce((acc, p) => { const r = podRequests(p); return { cpu: acc.cpu + r.cpu, memory: acc.memory + r.memory }; }, { cpu: 0, memory: 0 });
    checks.push(['cpu', want.cpu, used.cpu, milliValue(allocatable['cpu'] ?? '0')]);
    checks.push(['memory', want.memory, used.memory, parseQuantity(allocatable['memory'] ?? '0')]);
    for (const [resource, requested, inUse, capacity] of checks) {
      if (requested > 0 && requested + inUse > capacity) {
        return {
          reason: `OutOf${resource}`,
          message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${inUse}, capacity: ${capacity}`,
        };
      }
    }
    return undefined;
  }

  #reject(pod: DeepReadonly<Pod>, reason: string, message: string): void {
    const uid = pod.metadata?.uid ?? '';
    this.#rejected.add(uid);
    this.#recorder.event(pod, 'Warning', reason, message);
    const old = structuredClone(pod.status ?? {}) as PodStatus;
    this.#statusManager.setPodStatus(pod, { ...old, phase: 'Failed', reason, message: `Pod was rejected: ${message}` });
    this.#log.info({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, reason }, 'pod rejected at admission');
  }

  /** PLEG: one relist of the runtime; pods whose containers changed get synced. */
  async #relistLoop(signal: AbortSignal): Promise<void> {
    const period = this.#o.relistPeriodMs ?? 1000;
    while (!signal.aborted) {
      try {
        await this.#relist();
      } catch (err) {
        if (!signal.aborted) this.#log.warn({ err: String(err) }, 'relist failed');
      }
      try { await this.#clock.sleep(period, signal); } catch { return; }
    }
  }

  async #relist(): Promise<void> {
    const rt = this.#runtime;
    const [sandboxes, containers] = await Promise.all([rt.listSandboxes(), rt.listContainers()]);
    const byPod = new Map<string, { sandboxes: PodSandbox[]; containers: RuntimeContainer[] }>();
    const of = (uid: string) => byPod.get(uid) ?? byPod.set(uid, { sandboxes: [], containers: [] }).get(uid)!;
    for (const s of sandboxes) of(s.metadata.uid).sandboxes.push(s);
    for (const c of containers) of(c.pod.uid).containers.push(c);
    const next = new Map<string, string>();
    for (const [uid, listed] of byPod) next.set(uid, runtimeState(listed.sandboxes, listed.containers));
    for (const [uid, print] of next) {
      // A change the pod worker has seen already needs no sync: mostly the sandbox and
      // containers its own sync just started, which its last observe found.
      if (this.#lastRelist.get(uid) !== print && this.#podSync.lastSeen(uid) !== print) this.#resync(uid);
      if (!this.#pods.has(uid) && !this.#workers.isKnown(uid)) {
        // Containers of a pod that no longer exists (deleted while we were down): remove them.
        this.#log.info({ podUid: uid }, 'removing containers of a pod that no longer exists');
        await this.#podSync.removePodResources(uid);
        this.#podSync.forget(uid);
        next.delete(uid);
      }
    }
    this.#lastRelist = next;
  }

  /** Rewrites the API-data volumes of every running pod, so containers see updates in place. */
  async #volumeRefreshLoop(volumes: VolumeManager, signal: AbortSignal): Promise<void> {
    const period = this.#o.volumeRefreshPeriodMs ?? 60_000;
    for (;;) {
      try { await this.#clock.sleep(period, signal); } catch { return; }
      for (const [uid, pod] of this.#pods) {
        if (signal.aborted) return;
        if (!this.#admitted.has(uid) || pod.metadata?.deletionTimestamp) continue;
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
        // refresh logs and keeps the last contents on its own errors; this guards the rest.
        await volumes.refresh(pod as Pod).catch((err: unknown) => this.#log.warn({ podUid: uid, err: String(err) }, 'volume refresh failed'));
      }
    }
  }

  async #findContainer(namespace: string, name: string, container: string, previous: boolean): Promise<string | undefined> {
    const pod = [...this.#pods.values()].find((p) => p.metadata?.namespace === namespace && p.metadata.name === name);
    if (!pod?.metadata?.uid) return undefined;
    // A list is all it takes; observe is the pod worker's (the relist trusts what it saw).
    const containers = await this.#runtime.listContainers({ podUid: pod.metadata.uid });
    const instances = containers
      .filter((c) => c.metadata.name === container)
      .sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    return instances[previous ? 1 : 0]?.id;
  }

  #metricsText(): string {
    const running = [...this.#lastRelist.keys()].length;
    return [
      '# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox',
      '# TYPE kubelet_running_pods gauge',
      `kubelet_running_pods ${running}`,
      this.#runtime.metricsText(),
      '',
    ].join('\n');
  }

  // ---- node ----

  #allocatable(): Record<string, string> {
    const fromStatus = this.#nodeStatus?.allocatable;
    return fromStatus ? { ...fromStatus } : nodeCapacity(this.#config);
  }

  async #registerNode(signal: AbortSignal): Promise<void> {
    const nodes = this.#o.client.resource('nodes');
    const desired = initialNode(this.#config);
    let node: Node;
    try {
      node = await nodes.create('', desired, { signal });
      this.#log.info({ node: this.#o.nodeName }, 'successfully registered node');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Already registered (a restart): reconcile our labels, keep everything else.
      node = await nodes.patch('', this.#o.nodeName, 'merge', { metadata: { labels: desired.metadata?.labels } }, { signal });
    }
    this.#nodeUid = node.metadata?.uid;
    this.#nodeStatus = node.status;
    await this.#updateNodeStatus(signal);
  }

  async #updateNodeStatus(signal: AbortSignal): Promise<void> {
    const images = await this.#runtime.listImages().catch(() => []);
    const status = nodeStatus({
      config: this.#config, containerRuntimeVersion: this.#runtimeVersion, images,
      now: new Date(this.#clock.now()), previous: this.#nodeStatus,
    });
    const node = await this.#o.client.resource('nodes').patch('', this.#o.nodeName, 'merge', { status }, { subresource: 'status', signal });
    this.#nodeStatus = node.status ?? status;
    this.#nodeUid = node.metadata?.uid;
  }

  async #nodeStatusLoop(signal: AbortSignal): Promise<void> {
    const period = this.#o.nodeStatusUpdateFrequencyMs ?? 10_000;
    for (;;) {
      try { await this.#clock.sleep(period, signal); } catch { return; }
      try {
        await this.#updateNodeStatus(signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isNotFound(err)) {
          this.#log.warn({ node: this.#o.nodeName }, 'node was deleted; registering it again');
          await this.#registerNode(signal).catch((e: unknown) => this.#log.warn({ err: String(e) }, 'unable to register node'));
        } else {
          this.#log.warn({ err: String(err) }, 'error updating node status, will retry');
        }
      }
    }
  }

  async #retry<T>(signal: AbortSignal, what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (signal.aborted) throw err;
        if (attempt % 10 === 0) this.#log.warn({ err: String(err) }, `${what} failed, retrying`);
        await this.#clock.sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)), signal);
      }
    }
  }
}

/**
 * Whether a pod update changes what the kubelet does (config.go podsDifferSemantically): spec,
 * labels, annotations or deletion. Status alone does not, with one exception
 * (NeedToReconcilePodReadiness): conditions named by readiness gates are written by others
 * and feed the Ready condition the kubelet computes.
 */
export function needsSync(old: DeepReadonly<Pod>, pod: DeepReadonly<Pod>): boolean {
  const a = old.metadata;
  const b = pod.metadata;
  if (!isDeepStrictEqual(old.spec, pod.spec) || !isDeepStrictEqual(a?.labels ?? {}, b?.labels ?? {})
    || !isDeepStrictEqual(a?.annotations ?? {}, b?.annotations ?? {}) || a?.deletionTimestamp !== b?.deletionTimestamp
    || a?.deletionGracePeriodSeconds !== b?.deletionGracePeriodSeconds) return true;
  const gate = (p: DeepReadonly<Pod>, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;
  return pod.spec?.readinessGates?.some((g) => gate(old, g.conditionType) !== gate(pod, g.conditionType)) ?? false;
}

/** The pod's effective requests: the larger of its containers' sum and its largest init container, plus overhead. */
export function podRequests(pod: DeepReadonly<Pod> | Pod): { cpu: number; memory: number } {
  const sum = { cpu: 0, memory: 0 };
  const of = (r: Readonly<Record<string, string>> | undefined) => ({
    cpu: r?.['cpu'] === undefined ? 0 : milliValue(r['cpu']),
    memory: r?.['memory'] === undefined ? 0 : parseQuantity(r['memory']),
  });
  for (const c of pod.spec?.containers ?? []) {
    const r = of(c.resources?.requests);
    sum.cpu += r.cpu;
    sum.memory += r.memory;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = of(c.resources?.requests);
    sum.cpu = Math.max(sum.cpu, r.cpu);
    sum.memory = Math.max(sum.memory, r.memory);
  }
  const overhead = of(pod.spec?.overhead);
  return { cpu: sum.cpu + overhead.cpu, memory: sum.memory + overhead.memory };
}

