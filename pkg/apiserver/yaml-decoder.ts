// YAML request bodies, decoded on a worker thread. The YAML library takes ~2 µs and ~100 bytes
// of heap per byte of input (a 2.4 MB map of 200,000 keys: 5 s and 258 MB), against JSON.parse's
// ~0.3 µs: on the apiserver's one JavaScript thread, a few large YAML bodies would stop every
// other request for seconds. Here they queue for one worker, up to a bound of bytes; the worker
// answers with JSON text, which the caller parses as it parses any JSON body. Real clients
// (kubectl, client-node, the Python client) send JSON; YAML comes from curl users.
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Parser as YamlParser, parse as parseYaml } from 'yaml';
import type { CST } from 'yaml';
import { errors, StatusError } from '../api/errors.js';
import { MAX_NESTING_DEPTH, tooDeeplyNested, valueTooDeep } from '../api/nesting-depth.js';

/** Bytes of YAML that may wait for the worker; past it, 429. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** The worker's heap: enough for a 3 MiB body (~300 MB), and a bound on what one can take. */
const WORKER_HEAP_MB = 512;
/** An idle worker is ended, and its heap with it: YAML bodies are rare, starting one is ~50 ms. */
const WORKER_IDLE_MS = 30_000;

type Answer = { id: number; json: Uint8Array } | { id: number; error: string; tooDeep?: boolean };

/** YAML text to JSON text, with the nesting bound; throws the Status the client gets. Pure. */
export function yamlToJson(text: string): string {
  // The composer recurses once per level: measure the depth on the parser's tokens first (the
  // lexer and parser keep their own stacks), and again after composing, since aliases can nest
  // one anchored node inside another.
  if (yamlTokensTooDeep(text)) throw tooDeeplyNested('yaml parse error');
  let value: unknown;
  try {
    // Duplicate keys: the last wins, as in Kubernetes' YAML decoder. The library's uniqueness
    // check compares every key with every other (a 50,000-key map took 43 s).
    value = parseYaml(text, { uniqueKeys: false });
  } catch (e) {
    throw errors.badRequest(`yaml parse error: ${(e as Error).message}`);
  }
  if (valueTooDeep(value)) throw tooDeeplyNested('yaml parse error');
  return JSON.stringify(value) ?? 'null';
}

/**
 * Measures the nesting on the parser's tokens, and refuses collections used as map keys (a
 * `{{...}}` flow map is a map keyed by maps): JSON cannot hold them, Kubernetes' YAML decoder
 * refuses them too ("invalid map key"), and the library stringifies them level by level at a
 * cost that explodes with the depth (300 levels: 99 s).
 */
function yamlTokensTooDeep(text: string): boolean {
  const pending: { token: CST.Token; depth: number }[] = [];
  // depth: how many collections enclose the token, itself included.
  for (const token of new YamlParser().parse(text)) pending.push({ token, depth: 0 });
  while (pending.length > 0) {
    const { token, depth: enclosing } = pending.pop()!;
    const depth = isCollection(token) ? enclosing + 1 : enclosing;
    if (depth > MAX_NESTING_DEPTH) return true;
    switch (token.type) {
      case 'document':
        if (token.value) pending.push({ token: token.value, depth });
        break;
      case 'block-map': case 'block-seq': case 'flow-collection':
        for (const item of token.items) {
          if (item.key) {
            if (isCollection(item.key)) throw errors.badRequest('yaml parse error: invalid map key: a map or sequence cannot be a key');
            pending.push({ token: item.key, depth });
          }
          if (item.value) pending.push({ token: item.value, depth });
        }
        break;
      default:
        break;
    }
  }
  return false;
}

function isCollection(token: CST.Token): boolean {
  return token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
}

interface Pending { resolve: (json: Buffer) => void; reject: (e: unknown) => void; bytes: number; text: string }

/**
 * How long one document may take to decode. What the token checks let through decodes at about
 * 2-5 us a byte, so this is far more than any body within --max-request-bytes needs; a document
 * that takes longer has found another slow path in the library, and must not hold the queue.
 */
const JOB_TIME_LIMIT_MS = 20_000;

class YamlWorker {
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #nextId = 0;
  #queuedBytes = 0;
  readonly #pending = new Map<number, Pending>();

  /** JSON text of a YAML body, decoded off the main thread. */
  toJson(body: Buffer): Promise<Buffer> {
    if (this.#queuedBytes + body.length > MAX_QUEUED_BYTES) {
      return Promise.reject(errors.tooManyRequests('Too many requests, please try again later.', 1));
    }
    const id = this.#nextId++;
    this.#queuedBytes += body.length;
    clearTimeout(this.#idle);
    return new Promise((resolve, reject) => {
      const text = body.toString('utf8');
      this.#pending.set(id, { resolve, reject, bytes: body.length, text });
      const worker = this.#start();
      worker.postMessage({ id, text });
      // Held while it has work (an awaited answer must keep the process alive), let go when idle.
      worker.ref();
      if (this.#pending.size === 1) this.#armWatchdog();
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(fileURLToPath(import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    worker.on('message', (a: Answer) => {
      const p = this.#settle(a.id);
      if (!p) return;
      if ('json' in a) p.resolve(Buffer.from(a.json.buffer, a.json.byteOffset, a.json.byteLength));
      else p.reject(a.tooDeep ? tooDeeplyNested('yaml parse error') : errors.badRequest(a.error));
      this.#armWatchdog();
      if (this.#pending.size === 0) {
        worker.unref();
        this.#idle = setTimeout(() => { if (this.#pending.size === 0) void this.#worker?.terminate(); }, WORKER_IDLE_MS);
        this.#idle.unref();
      }
    });
    // Out of heap (or any other death): what was queued fails, the next body starts a new worker.
    worker.on('error', (err) => { if (this.#worker === worker) this.#failAll(err); });
    worker.on('exit', () => { if (this.#worker === worker) this.#failAll(new Error('the YAML decoder exited')); });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  /** The worker decodes in order: the oldest pending document is the one it is on. */
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    const oldest = this.#pending.keys().next();
    if (oldest.done) return;
    const id = oldest.value;
    this.#watchdog = setTimeout(() => this.#stuck(id), JOB_TIME_LIMIT_MS);
    this.#watchdog.unref();
  }

  /** A document took too long: end the worker, refuse it, and hand the rest to a new worker. */
  #stuck(id: number): void {
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate();
    this.#settle(id)?.reject(errors.badRequest(`yaml parse error: the document took more than ${JOB_TIME_LIMIT_MS / 1000}s to decode`));
    for (const [next, p] of this.#pending) {
      const fresh = this.#start();
      fresh.postMessage({ id: next, text: p.text });
      fresh.ref();
    }
    this.#armWatchdog();
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    this.#queuedBytes -= p.bytes;
    return p;
  }

  #failAll(err: Error): void {
    this.#worker = undefined;
    clearTimeout(this.#idle);
    clearTimeout(this.#watchdog);
    const tooLarge = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id)?.reject(tooLarge
        ? new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: the YAML body needs more memory to decode than the decoder may use')
        : errors.badRequest(`yaml parse error: ${err.message}`));
    }
  }
}

let shared: YamlWorker | undefined;

export function yamlBodyToJson(body: Buffer): Promise<Buffer> {
  shared ??= new YamlWorker();
  return shared.toJson(body);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', ({ id, text }: { id: number; text: string }) => {
    try {
      // Its own ArrayBuffer (a Buffer may share Node's pool), so it can be moved, not copied.
      const json = new TextEncoder().encode(yamlToJson(text));
      port.postMessage({ id, json } satisfies Answer, [json.buffer]);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      port.postMessage({ id, error: message, tooDeep: /exceeded max depth/.test(message) } satisfies Answer);
    }
  });
}
