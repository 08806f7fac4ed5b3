// The service account controller (upstream pkg/controller/serviceaccount): every active
// namespace has a `default` ServiceAccount, created again if someone deletes it.
import type { Logger } from 'pino';
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound, isStatusError } from '../../api/errors.js';
import type { ResourceEventHandlerRegistration } from '../../client/informer.js';
import type { Lister } from '../../client/lister.js';
import type { RestClient } from '../../client/rest-client.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from '../controller-context.js';
import { runController, unwrapTombstone, type Controller } from '../run-controller.js';

export const DEFAULT_SERVICE_ACCOUNTS: readonly string[] = ['default'];

export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount-controller';
  readonly queue: WorkQueue;
  readonly #client: RestClient;
  readonly #namespaces: Lister<Namespace>;
  readonly #serviceAccounts: Lister<ServiceAccount>;
  readonly #registrations: ResourceEventHandlerRegistration[];
  readonly #ctx: ControllerContext;
  readonly #log: Logger;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'serviceaccount' });
    const nsInformer = ctx.informers.informer('namespaces');
    const saInformer = ctx.informers.informer('serviceaccounts');
    this.#namespaces = nsInformer.lister;
    this.#serviceAccounts = saInformer.lister;
    const enqueueNamespace = (ns: { metadata?: { name?: string } }) => { if (ns.metadata?.name) this.queue.add(ns.metadata.name); };
    this.#registrations = [
      nsInformer.addEventHandler({ add: enqueueNamespace, update: (_old, ns) => enqueueNamespace(ns) }),
      saInformer.addEventHandler({
        delete: (obj) => {
          const sa = unwrapTombstone(obj);
          if (sa.metadata?.namespace && DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '')) this.queue.add(sa.metadata.namespace);
        },
      }),
    ];
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#ctx.informers.start(signal);
    await runController({
      name: this.name, queue: this.queue, workers: this.#ctx.options.concurrentServiceAccountTokenSyncs,
      sync: (key) => this.sync(key), signal, synced: this.#registrations, logger: this.#log,
    });
  }

  /** key: a namespace name. */
  async sync(key: string): Promise<void> {
    const ns = this.#namespaces.get('', key);
    // A terminating namespace refuses new objects, and is about to lose them anyway.
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.#serviceAccounts.get(key, name)) continue;
      try {
        await this.#client.resource('serviceaccounts').create(key, { metadata: { name } });
        this.#log.info({ namespace: key, serviceAccount: name }, 'Created service account');
      } catch (e) {
        if (isAlreadyExists(e) || isNotFound(e)) continue;
        // Forbidden because the namespace began terminating after the cache saw it.
        if (isNamespaceTerminating(e)) continue;
        throw e;
      }
    }
  }
}

function isNamespaceTerminating(e: unknown): boolean {
  if (!isStatusError(e) || e.code !== 403) return false;
  return (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating') || e.message.includes('because it is being terminated');
}
