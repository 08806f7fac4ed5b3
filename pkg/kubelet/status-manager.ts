// The kubelet's status manager (status/status_manager.go): pod workers hand it the status they
// computed; it writes pods/status only when that differs from what the apiserver last had
// from us, one write per pod at a time, latest status wins, failed writes retried.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.js';
import { realClock, type Clock } from '../client/clock.js';
import type { DeepReadonly } from '../client/lister.js';
import type { ResourceClient, RestClient } from '../client/rest-client.js';

/** Fields only the kubelet writes; when our status drops one it is nulled in the patch. */
const KUBELET_OWNED = ['podIP', 'podIPs', 'initContainerStatuses', 'reason', 'message'] as const;

interface Entry {
  namespace: string;
  name: string;
  uid: string;
  status: PodStatus;
  /** What we last wrote successfully (or found in the API). */
  sent?: PodStatus | DeepReadonly<PodStatus>;
  dirty: boolean;
  writing?: Promise<void>;
}

export interface StatusManagerOptions {
  client: RestClient;
  log: Logger;
  clock?: Clock;
  retryMs?: number;
}

export class StatusManager {
  readonly #pods: ResourceClient<Pod>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #retryMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: StatusManagerOptions) {
    this.#pods = opts.client.resource('pods');
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#retryMs = opts.retryMs ?? 1000;
  }

  /** The status we last computed for the pod, if any. */
  getPodStatus(uid: string): PodStatus | undefined {
    return this.#entries.get(uid)?.status;
  }

  /** Queues status for writing unless the apiserver has it already. */
  setPodStatus(pod: Pod | DeepReadonly<Pod>, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    let entry = this.#entries.get(uid);
    if (!entry) {
      entry = {
        namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid, status,
        dirty: false, ...(pod.status ? { sent: pod.status } : {}),
      };
      this.#entries.set(uid, entry);
    }
    entry.status = status;
    if (entry.sent !== undefined && isDeepStrictEqual(normalize(entry.sent), normalize(status))) return;
    entry.dirty = true;
    entry.writing ??= this.#write(entry);
  }

  /** Resolves once everything queued for the pod has been written (or given up on). */
  async flush(uid: string): Promise<void> {
    for (let entry = this.#entries.get(uid); entry?.writing; entry = this.#entries.get(uid)) await entry.writing;
  }

  removePod(uid: string): void {
    this.#entries.delete(uid);
  }

  async #write(entry: Entry): Promise<void> {
    try {
      while (entry.dirty && this.#entries.get(entry.uid) === entry) {
        entry.dirty = false;
        const status = entry.status;
        const patch: Record<string, unknown> = { ...status };
        for (const key of KUBELET_OWNED) if (status[key] === undefined && entry.sent?.[key] !== undefined) patch[key] = null;
        try {
          await this.#pods.patch(entry.namespace, entry.name, 'merge', { metadata: { uid: entry.uid }, status: patch }, { subresource: 'status' });
          entry.sent = status;
        } catch (err) {
          if (isNotFound(err)) { this.#entries.delete(entry.uid); return; }
          this.#log.warn({ pod: `${entry.namespace}/${entry.name}`, err: String(err) }, 'failed to update pod status');
          if (isConflict(err)) delete entry.sent;
          entry.dirty = true;
          await this.#clock.sleep(this.#retryMs);
        }
      }
    } finally {
      delete entry.writing;
    }
  }
}

/** Condition order and missing vs. empty lists don't make a status different. */
function normalize(status: PodStatus | DeepReadonly<PodStatus>): unknown {
  const s = JSON.parse(JSON.stringify(status)) as PodStatus & Record<string, unknown>;
  s.conditions = [...(s.conditions ?? [])].sort((a, b) => a.type.localeCompare(b.type));
  for (const [k, v] of Object.entries(s)) if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) delete s[k];
  return s;
}
