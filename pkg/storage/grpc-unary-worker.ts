// The HTTP/2 side of unary gRPC calls on a worker thread. Node's HTTP/2 client costs about
// 0.15 ms of CPU per request on this machine, a fifth of a pod create in the apiserver, whose
// one JavaScript thread is what limits its creates per second; here that work runs beside it,
// on the other core. Calls cross between the threads in batches: one message per event-loop
// turn each way.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GrpcCallError, Http2UnaryTransport, type UnaryTransport } from './grpc-unary.js';
import { StorageUnavailableError } from './storage.js';

type Call = [id: number, path: string, message: Uint8Array];
type Result = [id: number, ok: true, message: Uint8Array] | [id: number, ok: false, error: { name: string; message: string; grpcStatus?: number }];

/** Collects items and hands them on in one batch at the end of the event-loop turn. */
function batcher<T>(flush: (items: T[]) => void): (item: T) => void {
  let items: T[] = [];
  return (item) => {
    if (items.push(item) > 1) return;
    setImmediate(() => { const out = items; items = []; flush(out); });
  };
}

export class WorkerUnaryTransport implements UnaryTransport {
  readonly #endpoints: string[];
  #worker: Worker | undefined;
  #closed = false;
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  // Calls failed by a thread's death while still batched here are not sent to the next one.
  readonly #send = batcher<Call>((calls) => {
    const live = calls.filter((c) => this.#pending.has(c[0]));
    if (live.length) this.#thread().postMessage(live);
  });

  constructor(endpoints: string[]) {
    this.#endpoints = endpoints;
  }

  call(path: string, message: Uint8Array): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new StorageUnavailableError('etcd client closed'));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      if (this.#pending.size === 0) this.#thread().ref();
      this.#pending.set(id, { resolve, reject });
      this.#send([id, path, message]);
    });
  }

  close(): void {
    this.#closed = true;
    void this.#worker?.terminate();
  }

  /** The worker, started at the first call and again after it died (its calls fail, later ones go on). */
  #thread(): Worker {
    if (this.#worker) return this.#worker;
    // It holds only requests and answers in flight: a small heap keeps its memory small.
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { endpoints: this.#endpoints }, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    worker.on('message', (results: Result[]) => {
      for (const r of results) {
        const p = this.#pending.get(r[0]);
        if (!p) continue;
        this.#pending.delete(r[0]);
        if (r[1]) p.resolve(Buffer.from(r[2].buffer, r[2].byteOffset, r[2].byteLength));
        else p.reject(toError(r[2]));
      }
      if (this.#pending.size === 0) worker.unref();
    });
    let error: Error | undefined;
    worker.on('error', (e) => { error = e; });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      const e = new StorageUnavailableError(`etcd client thread exited${error ? `: ${error.message}` : ''}`);
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
    this.#worker = worker;
    return worker;
  }
}

function toError(e: { name: string; message: string; grpcStatus?: number }): Error {
  if (e.name === 'GrpcCallError') return new GrpcCallError(e.grpcStatus ?? 2, e.message);
  if (e.name === 'StorageUnavailableError') return new StorageUnavailableError(e.message);
  return new Error(e.message);
}

if (!isMainThread && parentPort && (workerData as { endpoints?: string[] } | undefined)?.endpoints) {
  const port = parentPort;
  const transport = new Http2UnaryTransport((workerData as { endpoints: string[] }).endpoints);
  const reply = batcher<Result>((results) => port.postMessage(results));
  port.on('message', (calls: Call[]) => {
    for (const [id, path, message] of calls) {
      transport.call(path, message).then(
        (answer) => reply([id, true, answer]),
        (e: Error) => reply([id, false, { name: e.name, message: e.message, ...(e instanceof GrpcCallError ? { grpcStatus: e.grpcStatus } : {}) }]),
      );
    }
  });
}
