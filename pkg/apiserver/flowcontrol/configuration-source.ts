// Where the FlowSchemas and PriorityLevelConfigurations come from: the served objects, read
// from their stores' watch caches and re-read when those move; the built-in (bootstrap)
// objects while the kinds are not served or none are stored yet.
import type { Logger } from 'pino';
import type { FlowSchema, PriorityLevelConfiguration } from 'kubernetes-types/flowcontrol/v1.js';
import type { Stores } from '../stores.js';
import type { Store } from '../store.js';
import type { FlowControlConfiguration } from './dispatcher.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const EVERYTHING = { keyPrefix: '', everything: true, matches: () => true };

export class ConfigurationSource {
  readonly #fallback: FlowControlConfiguration;
  readonly #apply: (cfg: FlowControlConfiguration) => void;
  readonly #log: Logger;
  readonly #schemas: Store | undefined;
  readonly #levels: Store | undefined;
  /** The cache revisions the configuration in use was read at. */
  #seen = '';
  #reading = false;

  constructor(opts: { stores: Stores; fallback: FlowControlConfiguration; apply(cfg: FlowControlConfiguration): void; logger: Logger }) {
    this.#fallback = opts.fallback;
    this.#apply = opts.apply;
    this.#log = opts.logger;
    this.#schemas = opts.stores.preferred(GROUP, 'flowschemas');
    this.#levels = opts.stores.preferred(GROUP, 'prioritylevelconfigurations');
  }

  /** Cheap enough for every request: starts a re-read when either cache has moved since the last one. */
  poll(): void {
    const schemas = this.#schemas;
    const levels = this.#levels;
    if (!schemas || !levels || this.#reading) return;
    const revisions = `${schemas.cache.revision}/${levels.cache.revision}`;
    if (revisions === this.#seen) return;
    this.#reading = true;
    void this.#read(schemas, levels).then((cfg) => {
      this.#seen = revisions;
      this.#apply(cfg);
    }, (err: unknown) => {
      // etcd unreachable: keep the configuration in use; the next request tries again.
      this.#log.debug({ err: String(err) }, 'reading the flow control configuration failed');
    }).finally(() => { this.#reading = false; });
  }

  async #read(schemas: Store, levels: Store): Promise<FlowControlConfiguration> {
    const [fs, pl] = await Promise.all([
      schemas.cache.list({ ...EVERYTHING, keyPrefix: schemas.keyPrefix(undefined) }),
      levels.cache.list({ ...EVERYTHING, keyPrefix: levels.keyPrefix(undefined) }),
    ]);
    // Until the built-in objects are stored, they are what configures the server.
    if (!fs.items.length || !pl.items.length) return this.#fallback;
    return {
      flowSchemas: fs.items.map((json) => JSON.parse(json) as FlowSchema),
      priorityLevels: pl.items.map((json) => JSON.parse(json) as PriorityLevelConfiguration),
    };
  }
}
