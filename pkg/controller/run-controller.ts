// The part every controller shares (sample-controller's Run/runWorker/processNextWorkItem):
// wait for the informers' caches, then N async workers take keys off one WorkQueue and call
// sync(key). Success forgets the key's backoff, an error re-adds it rate limited, and the key
// is always marked done so a key added meanwhile is handed out again.
import type { Logger } from 'pino';
import { objectKey } from '../api/meta.js';
import { DeletedFinalStateUnknown, waitForCacheSync, type InformerSyncer } from '../client/informer.js';
import type { WorkQueue } from '../client/workqueue.js';

/** What the registry starts: one controller, running until signal aborts. */
export interface Controller {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface RunControllerOptions {
  name: string;
  queue: WorkQueue;
  workers: number;
  sync: (key: string) => Promise<void>;
  signal: AbortSignal;
  /** Caches (informers or handler registrations) that must be synced before any worker starts. */
  synced?: readonly InformerSyncer[];
  logger?: Logger;
  /** Drop a key after this many failed syncs in a row (the deployment controller's maxRetries); default: never. */
  maxRetries?: number;
}

/** Waits for caches, runs the workers until signal aborts, then shuts the queue down and drains it. */
export async function runController(opts: RunControllerOptions): Promise<void> {
  const { queue, signal, logger } = opts;
  const stop = () => queue.shutDown();
  if (signal.aborted) { stop(); return; }
  signal.addEventListener('abort', stop, { once: true });
  try {
    logger?.info({ controller: opts.name }, 'Starting controller');
    if (opts.synced && opts.synced.length > 0 && !(await waitForCacheSync(signal, ...opts.synced))) return;
    const workers = Math.max(1, opts.workers);
    await Promise.all(Array.from({ length: workers }, () => runWorker(opts)));
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
    logger?.info({ controller: opts.name }, 'Shutting down controller');
  }
}

async function runWorker(opts: RunControllerOptions): Promise<void> {
  while (await processNextWorkItem(opts)) { /* next key */ }
}

/** One key: false once the queue is shut down and drained. */
export async function processNextWorkItem(opts: Pick<RunControllerOptions, 'name' | 'queue' | 'sync' | 'logger' | 'maxRetries'>): Promise<boolean> {
  const { queue } = opts;
  const key = await queue.get();
  if (key === undefined) return false;
  try {
    await opts.sync(key);
    queue.forget(key);
  } catch (err) {
    if (opts.maxRetries !== undefined && queue.numRequeues(key) >= opts.maxRetries) {
      opts.logger?.warn({ controller: opts.name, key, err }, 'Dropping key out of the queue');
      queue.forget(key);
    } else {
      opts.logger?.warn({ controller: opts.name, key, err }, 'Error syncing; requeuing');
      queue.addRateLimited(key);
    }
  } finally {
    queue.done(key);
  }
  return true;
}

/** The queue key of an object a delete handler got, tombstone or not (DeletionHandlingMetaNamespaceKeyFunc). */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } | undefined } | DeletedFinalStateUnknown<unknown>): string {
  return obj instanceof DeletedFinalStateUnknown ? obj.key : objectKey(obj);
}

/** The object itself, unwrapped from a tombstone. */
export function unwrapTombstone<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}
