// The node's heartbeat (nodelease/controller.go): a coordination.k8s.io Lease named after the
// node in kube-node-lease, owned by the Node, renewed every renewInterval (10 s, a quarter of
// the 40 s lease duration). The node lifecycle controller reads renewTime.
import type { Logger } from 'pino';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api/errors.js';
import { nowMicroTime } from '../api/meta.js';
import { realClock, type Clock } from '../client/clock.js';
import type { RestClient } from '../client/rest-client.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

export interface NodeLeaseOptions {
  client: RestClient;
  nodeName: string;
  renewIntervalMs?: number;
  log: Logger;
  clock?: Clock;
  /** The Node's uid, for the owner reference (so the lease goes with the Node). */
  nodeUid(): string | undefined;
}

export class NodeLease {
  readonly #opts: NodeLeaseOptions;
  readonly #clock: Clock;
  #lease: Lease | undefined;

  constructor(opts: NodeLeaseOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  /** Renews until signal aborts; errors are logged and retried at the next tick. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#opts.renewIntervalMs ?? 10_000;
    while (!signal.aborted) {
      try {
        await this.renew(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.#opts.log.warn({ err: String(err) }, 'failed to update lease');
      }
      try { await this.#clock.sleep(interval, signal); } catch { return; }
    }
  }

  async renew(signal?: AbortSignal): Promise<void> {
    const leases = this.#opts.client.resource('leases');
    const { nodeName } = this.#opts;
    const spec = {
      holderIdentity: nodeName,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: nowMicroTime(new Date(this.#clock.now())),
    };
    if (this.#lease) {
      try {
        this.#lease = await leases.update(NODE_LEASE_NAMESPACE, { ...this.#lease, spec: { ...this.#lease.spec, ...spec } }, signal ? { signal } : {});
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.#lease = undefined;
      }
    }
    try {
      const current = await leases.get(NODE_LEASE_NAMESPACE, nodeName, signal ? { signal } : undefined);
      this.#lease = await leases.update(NODE_LEASE_NAMESPACE, { ...current, spec: { ...current.spec, ...spec } }, signal ? { signal } : {});
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const uid = this.#opts.nodeUid();
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: {
        name: nodeName, namespace: NODE_LEASE_NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid }] } : {}),
      },
      spec,
    };
    try {
      this.#lease = await leases.create(NODE_LEASE_NAMESPACE, lease, signal ? { signal } : {});
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
