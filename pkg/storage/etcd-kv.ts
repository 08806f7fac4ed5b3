// etcd's KV service (Range, Txn, Compaction) as unary gRPC calls over grpc-unary.ts.
//
// Why not the etcd3 client for these: its grpc-js stack (interceptors, resolving, retrying and
// load-balancing calls, filters, channelz, a stack trace captured per call) took twice the CPU
// per call of a plain HTTP/2 request here (0.38-0.49 vs 0.19-0.20 ms at 64 in flight), a fifth
// of the apiserver's whole create path. Watches, long-lived streams, still go through etcd3.
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { StorageUnavailableError } from './storage.js';
import { Http2UnaryTransport, type UnaryTransport } from './grpc-unary.js';
import { WorkerUnaryTransport } from './grpc-unary-worker.js';

// int64s decode as numbers (see etcd-storage.ts): exact below 2^53, and no leases are used.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

export interface KeyValue { key: Buffer; value: Buffer; create_revision: number; mod_revision: number; version: number }
export interface ResponseHeader { revision: number }

export interface RangeRequest {
  key: Buffer; range_end?: Buffer; limit?: number; revision?: number; count_only?: boolean;
}
export interface RangeResponse { header: ResponseHeader; kvs: KeyValue[]; more: boolean; count: number }

export interface Compare {
  key: Buffer; target: CompareTarget; result: CompareResult; mod_revision?: number; version?: number;
}
export enum CompareResult { Equal = 0, Greater = 1, Less = 2, NotEqual = 3 }
export enum CompareTarget { Version = 0, Create = 1, Mod = 2, Value = 3, Lease = 4 }
export interface RequestOp {
  request_range?: RangeRequest;
  request_put?: { key: Buffer; value: Buffer };
  request_delete_range?: { key: Buffer; range_end?: Buffer; prev_kv?: boolean };
}
export interface ResponseOp {
  response_range?: RangeResponse;
  response_delete_range?: { prev_kvs: KeyValue[] };
}
export interface TxnRequest { compare: Compare[]; success: RequestOp[]; failure?: RequestOp[] }
export interface TxnResponse { header: ResponseHeader; succeeded: boolean; responses: ResponseOp[] }



const protoFile = createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto');
const root = new protobuf.Root().loadSync(protoFile, { keepCase: true });
const type = (name: string) => root.lookupType(`etcdserverpb.${name}`);
const methods = {
  Range: { path: '/etcdserverpb.KV/Range', request: type('RangeRequest'), response: type('RangeResponse') },
  Txn: { path: '/etcdserverpb.KV/Txn', request: type('TxnRequest'), response: type('TxnResponse') },
  Compact: { path: '/etcdserverpb.KV/Compact', request: type('CompactionRequest'), response: type('CompactionResponse') },
};
type Method = keyof typeof methods;

export class EtcdKv {
  readonly #inline: Http2UnaryTransport;
  /** For writes, when asked for: see the constructor. */
  readonly #writes: UnaryTransport;

  /**
   * thread: writes (Txn) do their HTTP/2 work on a worker thread (grpc-unary-worker.ts), for a
   * busy server. Reads stay on this thread: a list page is megabytes, which would be held on
   * both threads' heaps.
   */
  constructor(endpoints: string[], opts: { thread?: boolean } = {}) {
    if (!endpoints.length) throw new Error('no etcd endpoints');
    this.#inline = new Http2UnaryTransport(endpoints);
    this.#writes = opts.thread ? new WorkerUnaryTransport(endpoints) : this.#inline;
  }

  range(req: RangeRequest): Promise<RangeResponse> { return this.#call(this.#inline, 'Range', req) as Promise<RangeResponse>; }
  txn(req: TxnRequest): Promise<TxnResponse> { return this.#call(this.#writes, 'Txn', req) as Promise<TxnResponse>; }
  async compact(req: { revision: number; physical?: boolean }): Promise<void> { await this.#call(this.#inline, 'Compact', req); }

  close(): void {
    this.#inline.close();
    this.#writes.close();
  }

  async #call(transport: UnaryTransport, method: Method, message: object): Promise<unknown> {
    const m = methods[method];
    const answer = await transport.call(m.path, m.request.encode(message).finish());
    try {
      return m.response.decode(answer);
    } catch (e) {
      throw new StorageUnavailableError(`etcd: undecodable answer: ${(e as Error).message}`);
    }
  }
}
