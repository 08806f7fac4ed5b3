// The HTTP/2 side of unary gRPC calls on a worker thread. Node's HTTP/2 client costs about
// 0.15 ms of CPU per request on this machine, a fifth of a pod create in the apiserver, whose
// one JavaScript thread is what limits its creates per second; here that work runs beside it,
// on the other core. Calls cross between the threads in batches: one message per event-loop
// turn each way.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GrpcCallError, Http2UnaryTransport, type UnaryTransport } from './grpc-unary.js';
import { StorageUnavailableError } from './storage.js';
import { batchPerTurn } from '../api/turn-batch.js';

type Call = [id: number, path: string, message: Uint8Array];
/** kind: what the bytes are: the answer, or the message of a GrpcCallError (with its status) or of another error. */
type Result = [id: number, kind: ResultKind, grpcStatus: number, bytes: Uint8Array];
enum ResultKind { Answer = 0, GrpcCallError = 1, Unavailable = 2, Other = 3 }

// A batch crosses as one buffer of records, moved rather than copied: structured cloning an
// array of tuples cost more than the HTTP/2 work saved. A call is (id u32, path length u16,
// path, message length u32, message); a result is (id u32, kind u8, gRPC status u32, length
// u32, bytes).
function packCalls(calls: Call[]): ArrayBuffer {
  const paths = calls.map((c) => Buffer.from(c[1]));
  let size = 0;
  for (let i = 0; i < calls.length; i++) size += 10 + paths[i]!.length + calls[i]![2].length;
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (let i = 0; i < calls.length; i++) {
    const [id, , message] = calls[i]!;
    at = out.writeUInt32LE(id, at);
    at = out.writeUInt16LE(paths[i]!.length, at);
    at += paths[i]!.copy(out, at);
    at = out.writeUInt32LE(message.length, at);
    out.set(message, at);
    at += message.length;
  }
  return out.buffer as ArrayBuffer;
}

function unpackCalls(buf: ArrayBuffer): Call[] {
  const b = Buffer.from(buf);
  const calls: Call[] = [];
  for (let at = 0; at < b.length;) {
    const id = b.readUInt32LE(at);
    const pathLength = b.readUInt16LE(at + 4);
    const path = b.toString('latin1', at + 6, at + 6 + pathLength);
    at += 6 + pathLength;
    const length = b.readUInt32LE(at);
    calls.push([id, path, b.subarray(at + 4, at + 4 + length)]);
    at += 4 + length;
  }
  return calls;
}

function packResults(results: Result[]): ArrayBuffer {
  let size = 0;
  for (const r of results) size += 13 + r[3].length;
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const [id, kind, grpcStatus, bytes] of results) {
    at = out.writeUInt32LE(id, at);
    at = out.writeUInt8(kind, at);
    at = out.writeUInt32LE(grpcStatus, at);
    at = out.writeUInt32LE(bytes.length, at);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out.buffer as ArrayBuffer;
}

function unpackResults(buf: ArrayBuffer): Result[] {
  const b = Buffer.from(buf);
  const results: Result[] = [];
  for (let at = 0; at < b.length;) {
    const length = b.readUInt32LE(at + 9);
    results.push([b.readUInt32LE(at), b.readUInt8(at + 4), b.readUInt32LE(at + 5), b.subarray(at + 13, at + 13 + length)]);
    at += 13 + length;
  }
  return results;
}

export class WorkerUnaryTransport implements UnaryTransport {
  readonly #endpoints: string[];
  #worker: Worker | undefined;
  #closed = false;
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  // Calls failed by a thread's death while still batched here are not sent to the next one.
  readonly #send = batchPerTurn<Call>((calls) => {
    const live = calls.filter((c) => this.#pending.has(c[0]));
    if (!live.length) return;
    const batch = packCalls(live);
    this.#thread().postMessage(batch, [batch]);
  });

  readonly #threadMain: URL;

  /** threadMain: the thread's module, this one; a test stands in one that dies. */
  constructor(endpoints: string[], threadMain = new URL(import.meta.url)) {
    this.#endpoints = endpoints;
    this.#threadMain = threadMain;
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
    const worker = new Worker(this.#threadMain, {
      workerData: { endpoints: this.#endpoints }, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    worker.on('message', (batch: ArrayBuffer) => {
      for (const [id, kind, grpcStatus, bytes] of unpackResults(batch)) {
        const p = this.#pending.get(id);
        if (!p) continue;
        this.#pending.delete(id);
        if (kind === ResultKind.Answer) p.resolve(bytes as Buffer);
        else p.reject(toError(kind, grpcStatus, bytes.toString()));
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

function toError(kind: ResultKind, grpcStatus: number, message: string): Error {
  if (kind === ResultKind.GrpcCallError) return new GrpcCallError(grpcStatus, message);
  if (kind === ResultKind.Unavailable) return new StorageUnavailableError(message);
  return new Error(message);
}

function fromError(id: number, e: Error): Result {
  const kind = e instanceof GrpcCallError ? ResultKind.GrpcCallError : e instanceof StorageUnavailableError ? ResultKind.Unavailable : ResultKind.Other;
  return [id, kind, e instanceof GrpcCallError ? e.grpcStatus : 0, Buffer.from(e.message)];
}

if (!isMainThread && parentPort && (workerData as { endpoints?: string[] } | undefined)?.endpoints) {
  const port = parentPort;
  const transport = new Http2UnaryTransport((workerData as { endpoints: string[] }).endpoints);
  const reply = batchPerTurn<Result>((results) => { const batch = packResults(results); port.postMessage(batch, [batch]); });
  port.on('message', (batch: ArrayBuffer) => {
    for (const [id, path, message] of unpackCalls(batch)) {
      transport.call(path, message).then((answer) => reply([id, ResultKind.Answer, 0, answer]), (e: Error) => reply(fromError(id, e)));
    }
  });
}
