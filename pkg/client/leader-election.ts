// Leader election on a coordination.k8s.io/v1 Lease (client-go tools/leaderelection):
// candidates race to write themselves into spec.holderIdentity with a resourceVersion
// precondition; the holder renews every retryPeriod and gives up leading when it could not
// renew for renewDeadline. Others take over once they have seen the same record unchanged
// for leaseDuration (measured on their own clock, so clock skew between hosts doesn't matter).
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { isNotFound, isConflict } from '../api/errors.js';
import { nowMicroTime } from '../api/meta.js';
import { realClock, type Clock } from './clock.js';
import type { RestClient, ResourceClient } from './rest-client.js';

export interface LeaderElectionConfig {
  client: RestClient;
  /** The Lease: kube-system/kube-scheduler, kube-system/kube-controller-manager. */
  namespace: string;
  name: string;
  /** Unique per candidate: hostname + '_' + a random suffix, as the components do. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Clear the Lease on a clean shutdown so a standby takes over at once (ReleaseOnCancel). */
  releaseOnCancel?: boolean;
  clock?: Clock;
  random?: () => number;
  onError?: (err: unknown) => void;
  /** Called when a different holder is observed (including ourselves). */
  onNewLeader?: (identity: string) => void;
}

export interface LeaderCallbacks {
  /** Aborted when the run signal aborts, when leadership is lost. */
  signal: AbortSignal;
  /** Called once leading; its signal aborts when leadership ends. Not awaited. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once, after leading ended (lost or shut down); never called if leading never started. */
  onStoppedLeading?(): void;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly #leases: ResourceClient<Lease>;
  readonly #cfg: LeaderElectionConfig;
  readonly #clock: Clock;
  readonly #random: () => number;
  #observed: LeaseSpec | undefined;
  #observedRaw = '';
  #observedTime = 0;
  #observedResourceVersion: string | undefined;

  constructor(cfg: LeaderElectionConfig) {
    this.#cfg = cfg;
    this.identity = cfg.identity;
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
    this.#leases = cfg.client.resource('leases');
    this.#clock = cfg.clock ?? realClock;
    this.#random = cfg.random ?? Math.random;
  }

  /** The holder this candidate last observed. */
  getLeader(): string { return this.#observed?.holderIdentity ?? ''; }
  isLeader(): boolean { return this.getLeader() === this.identity; }

  /** Campaigns until leading, leads until the lease is lost or signal aborts, then returns. */
  async run(cb: LeaderCallbacks): Promise<void> {
    const { signal } = cb;
    if (!(await this.#acquire(signal))) return;
    const leading = new AbortController();
    const stopLeading = () => leading.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    try {
      void Promise.resolve().then(() => cb.onStartedLeading(leading.signal)).catch((e: unknown) => this.#error(e));
      await this.#renew(signal);
    } finally {
      signal.removeEventListener('abort', stopLeading);
      leading.abort();
      if (signal.aborted && this.#cfg.releaseOnCancel !== false) await this.release();
      cb.onStoppedLeading?.();
    }
  }

  /** Gives the Lease up if we hold it: empty holder, so the next candidate needn't wait. */
  async release(): Promise<boolean> {
    if (!this.isLeader() || this.#observedResourceVersion === undefined) return false;
    const now = new Date(this.#clock.now());
    const lease: Lease = {
      metadata: { name: this.#cfg.name, namespace: this.#cfg.namespace, resourceVersion: this.#observedResourceVersion },
      spec: {
        holderIdentity: '', leaseDurationSeconds: 1,
        acquireTime: nowMicroTime(now), renewTime: nowMicroTime(now),
        leaseTransitions: this.#observed?.leaseTransitions ?? 0,
      },
    };
    // A renewal cut short by the same abort may still have landed, moving the resourceVersion:
    // on a conflict, read the lease again and release it if it is still ours.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const updated = await this.#leases.update(this.#cfg.namespace, lease, { signal: AbortSignal.timeout(this.renewDeadlineMs) });
        this.#observe(updated);
        return true;
      } catch (e) {
        if (!isConflict(e)) { this.#error(e); return false; }
        try {
          const current = await this.#leases.get(this.#cfg.namespace, this.#cfg.name);
          if (current.spec?.holderIdentity !== this.identity) return false;
          lease.metadata = { ...lease.metadata, resourceVersion: current.metadata?.resourceVersion ?? '' };
          lease.spec = { ...lease.spec, leaseTransitions: current.spec?.leaseTransitions ?? 0 };
        } catch (err) { this.#error(err); return false; }
      }
    }
    return false;
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      try { await this.#clock.sleep(this.#jitter(this.retryPeriodMs), signal); } catch { return false; }
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renewal could not succeed within renewDeadline. */
  async #renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.#clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && this.#clock.now() < deadline) {
        if (await this.tryAcquireOrRenew(signal)) { renewed = true; break; }
        try { await this.#clock.sleep(this.retryPeriodMs, signal); } catch { return; }
      }
      if (!renewed) return;
      try { await this.#clock.sleep(this.retryPeriodMs, signal); } catch { return; }
    }
  }

  /** One attempt to take or keep the Lease. */
  async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const reqSignal = AbortSignal.any([signal, AbortSignal.timeout(this.renewDeadlineMs)]);
    const now = new Date(this.#clock.now());
    const ns = this.#cfg.namespace;
    let current: Lease;
    try {
      current = await this.#leases.get(ns, this.#cfg.name, { signal: reqSignal });
    } catch (e) {
      if (!isNotFound(e)) { this.#error(e); return false; }
      try {
        const created = await this.#leases.create(ns, {
          metadata: { name: this.#cfg.name, namespace: ns },
          spec: this.#spec(now, nowMicroTime(now), 0),
        }, { signal: reqSignal });
        this.#observe(created);
        return true;
      } catch (err) {
        this.#error(err);
        return false;
      }
    }
    this.#observe(current);
    const old = current.spec ?? {};
    const holder = old.holderIdentity ?? '';
    const leaseValid = this.#observedTime + this.leaseDurationMs > this.#clock.now();
    if (holder !== '' && holder !== this.identity && leaseValid) return false;
    const spec = holder === this.identity
      ? this.#spec(now, old.acquireTime ?? nowMicroTime(now), old.leaseTransitions ?? 0)
      : this.#spec(now, nowMicroTime(now), (old.leaseTransitions ?? 0) + 1);
    try {
      // metadata.resourceVersion makes this a compare-and-swap: a rival's write → 409.
      const updated = await this.#leases.update(ns, { ...current, spec }, { signal: reqSignal });
      this.#observe(updated);
      return true;
    } catch (e) {
      this.#error(e);
      return false;
    }
  }

  #spec(now: Date, acquireTime: string, leaseTransitions: number): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime,
      renewTime: nowMicroTime(now),
      leaseTransitions,
    };
  }

  #observe(lease: Lease): void {
    const raw = JSON.stringify(lease.spec ?? {});
    this.#observedResourceVersion = lease.metadata?.resourceVersion;
    if (raw === this.#observedRaw) return;
    const previous = this.getLeader();
    this.#observed = lease.spec ?? {};
    this.#observedRaw = raw;
    this.#observedTime = this.#clock.now();
    const leader = this.getLeader();
    if (leader !== previous && leader !== '') this.#cfg.onNewLeader?.(leader);
  }

  #jitter(ms: number): number { return ms * (1 + this.#random() * JITTER_FACTOR); }
  #error(e: unknown): void { this.#cfg.onError?.(e); }
}
