// The namespace controller (upstream pkg/controller/namespace): a namespace with a
// deletionTimestamp is emptied (a deletecollection per namespaced resource, pods with their
// grace period), its status conditions say what is left, and once nothing is left the
// `kubernetes` finalizer is removed through namespaces/<name>/finalize, upon which the
// apiserver removes the namespace.
import type { Logger } from 'pino';
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound, isStatusError } from '../../api/errors.js';
import { nowRfc3339, type KubeObject } from '../../api/meta.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { Lister } from '../../client/lister.js';
import type { ResourceEventHandlerRegistration } from '../../client/informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../client/clock.js';
import type { ControllerContext } from '../controller-context.js';
import { runController, type Controller } from '../run-controller.js';
import { namespaceDeletionConditions, type ContentDeletionResult } from './namespace-conditions.js';

export const FINALIZER_KUBERNETES = 'kubernetes';
/** Upstream's guess of how long an object's finalizers take. */
const FINALIZER_ESTIMATE_SECONDS = 15;

/** Every namespaced resource that can be listed and deleted, one version per group/resource. */
export function namespacedDeletableResources(): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const res of RESOURCES) {
    const gr = `${res.plural}.${res.group}`;
    if (!res.namespaced || seen.has(gr) || !res.verbs.includes('list') || !res.verbs.includes('delete')) continue;
    seen.add(gr);
    out.push(res);
  }
  return out;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  readonly queue: WorkQueue;
  readonly #client: RestClient;
  readonly #namespaces: Lister<Namespace>;
  readonly #registration: ResourceEventHandlerRegistration;
  readonly #resources: readonly ResourceInfo[];
  readonly #ctx: ControllerContext;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(ctx: ControllerContext, resources: readonly ResourceInfo[] = namespacedDeletableResources()) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#resources = resources;
    this.#log = ctx.logger.child({ controller: this.name });
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'namespace' });
    const informer = ctx.informers.informer('namespaces');
    this.#namespaces = informer.lister;
    const enqueue = (ns: { metadata?: { name?: string; deletionTimestamp?: string } }) => {
      if (ns.metadata?.deletionTimestamp && ns.metadata.name) this.queue.add(ns.metadata.name);
    };
    this.#registration = informer.addEventHandler({ add: enqueue, update: (_old, ns) => enqueue(ns) });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#ctx.informers.start(signal);
    await runController({
      name: this.name, queue: this.queue, workers: this.#ctx.options.concurrentNamespaceSyncs,
      sync: (key) => this.sync(key), signal, synced: [this.#registration], logger: this.#log,
    });
  }

  async sync(name: string): Promise<void> {
    if (!this.#namespaces.get('', name)?.metadata?.deletionTimestamp) return;
    // Several parties edit a terminating namespace: work from its latest state.
    let ns = await this.#getNamespace(name);
    if (!ns?.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return;

    const result = await this.#deleteAllContent(name);
    ns = await this.#updateStatus(ns, result);
    if (!ns) return;
    if (result.deletionErrors.length > 0) {
      throw new Error(`namespace ${name}: failed to delete all content: ${result.deletionErrors.join('; ')}`);
    }
    if (result.estimateSeconds > 0) {
      this.#log.debug({ namespace: name, estimateSeconds: result.estimateSeconds }, 'Content remains; checking again later');
      this.queue.addAfter(name, (Math.floor(result.estimateSeconds / 2) + 1) * 1000);
      return;
    }
    await this.#finalize(ns);
    this.#log.info({ namespace: name }, 'Namespace emptied and finalized');
  }

  async #deleteAllContent(namespace: string): Promise<ContentDeletionResult> {
    const deletionErrors: string[] = [];
    const remaining = new Map<string, number>();
    const finalizersRemaining = new Map<string, number>();
    let estimateSeconds = 0;
    const nowMs = this.#clock.now();
    for (const res of this.#resources) {
      try {
        if (res.verbs.includes('deletecollection')) {
          // Background: the namespace controller never leaves orphans behind.
          await this.#client.deleteCollection(res, namespace, { propagationPolicy: 'Background' });
        } else {
          for (const item of (await this.#client.list<KubeObject>(res, namespace)).items) {
            try {
              await this.#client.delete(res, namespace, item.metadata?.name ?? '', { propagationPolicy: 'Background' });
            } catch (e) { if (!isNotFound(e)) throw e; }
          }
        }
      } catch (e) {
        if (isStatusError(e) && (e.code === 404 || e.code === 405)) continue;
        deletionErrors.push(`${groupResource(res)}: ${(e as Error).message}`);
        continue;
      }
      let items: KubeObject[];
      try {
        items = (await this.#client.list<KubeObject>(res, namespace)).items;
      } catch (e) {
        deletionErrors.push(`${groupResource(res)}: ${(e as Error).message}`);
        continue;
      }
      if (items.length === 0) continue;
      remaining.set(`${res.plural}.${res.group}`, items.length);
      for (const item of items) {
        const finalizers = item.metadata?.finalizers ?? [];
        for (const f of finalizers) finalizersRemaining.set(f, (finalizersRemaining.get(f) ?? 0) + 1);
        let seconds = finalizers.length > 0 ? FINALIZER_ESTIMATE_SECONDS : 1;
        if (res.plural === 'pods' && !res.group && item.metadata?.deletionTimestamp) {
          // A graceful pod is gone by its deletionTimestamp, if its kubelet is alive.
          seconds = Math.max(seconds, Math.ceil((Date.parse(item.metadata.deletionTimestamp) - nowMs) / 1000));
        }
        estimateSeconds = Math.max(estimateSeconds, seconds);
      }
    }
    return { estimateSeconds, deletionErrors, remaining, finalizersRemaining };
  }

  /** Phase Terminating and the deletion conditions; undefined when the namespace is gone. */
  async #updateStatus(ns: Namespace, result: ContentDeletionResult): Promise<Namespace | undefined> {
    let current: Namespace | undefined = ns;
    for (let attempt = 0; current; attempt++) {
      const conditions: NamespaceCondition[] = namespaceDeletionConditions(result, current.status?.conditions, nowRfc3339(new Date(this.#clock.now())));
      if (current.status?.phase === 'Terminating' && JSON.stringify(conditions) === JSON.stringify(current.status.conditions ?? [])) return current;
      const next: Namespace = { ...structuredClone(current), status: { ...current.status, phase: 'Terminating', conditions } };
      try {
        return await this.#client.resource('namespaces').updateStatus('', next);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
      current = await this.#getNamespace(ns.metadata?.name ?? '');
    }
    return undefined;
  }

  async #finalize(ns: Namespace): Promise<void> {
    let current: Namespace | undefined = ns;
    for (let attempt = 0; current; attempt++) {
      const finalizers = (current.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES);
      const body: Namespace = { ...structuredClone(current), spec: { ...current.spec, finalizers } };
      try {
        await this.#client.resource('namespaces').updateSubresource('', current.metadata?.name ?? '', 'finalize', body);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
      current = await this.#getNamespace(ns.metadata?.name ?? '');
    }
  }

  async #getNamespace(name: string): Promise<Namespace | undefined> {
    try {
      return await this.#client.resource('namespaces').get('', name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

function groupResource(res: ResourceInfo): string {
  return res.group ? `${res.plural}.${res.group}` : res.plural;
}
