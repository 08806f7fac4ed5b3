// etcd's KV service (Range, Txn, Compaction) as unary gRPC calls straight over node:http2.
//
// Why not the etcd3 client for these: its grpc-js stack (interceptors, resolving, retrying and
// load-balancing calls, filters, channelz, a captured stack trace per call) cost ~0.2 ms of CPU
// per call here, twice what the HTTP/2 request itself costs, and on 2 cores that was a fifth of
// the apiserver's create path. A unary gRPC call is one HTTP/2 request with a length-prefixed
// protobuf body and a grpc-status trailer; that is all this does. Watches, long-lived streams,
// still go through etcd3.
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { StorageUnavailableError } from './storage.js';

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

/** A call etcd answered with a gRPC error status (e.g. 11 for a compacted revision). */
export class EtcdCallError extends Error {
  override name = 'EtcdCallError';
  constructor(readonly grpcStatus: number, message: string) { super(message); }
}


const protoFile = createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto');
const root = new protobuf.Root().loadSync(protoFile, { keepCase: true });
const type = (name: string) => root.lookupType(`etcdserverpb.${name}`);
const methods = {
  Range: { path: '/etcdserverpb.KV/Range', request: type('RangeRequest'), response: type('RangeResponse') },
  Txn: { path: '/etcdserverpb.KV/Txn', request: type('TxnRequest'), response: type('TxnResponse') },
  Compact: { path: '/etcdserverpb.KV/Compact', request: type('CompactionRequest'), response: type('CompactionResponse') },
};
type Method = keyof typeof methods;

/**
 * Big enough that a page of a 10,000-pod list (~4 MB) is never held up by HTTP/2 flow control,
 * whose default window is 64 KiB.
 */
const WINDOW_BYTES = 32 * 1024 * 1024;

/** Sessions whose connection was made: a request on them may have reached etcd. */
const connected = new WeakSet<http2.ClientHttp2Session>();

export class EtcdKv {
  readonly #endpoints: string[];
  #next = 0;
  #session: http2.ClientHttp2Session | undefined;
  #active = 0;

  constructor(endpoints: string[]) {
    if (!endpoints.length) throw new Error('no etcd endpoints');
    this.#endpoints = endpoints;
  }

  range(req: RangeRequest): Promise<RangeResponse> { return this.#call('Range', req) as Promise<RangeResponse>; }
  txn(req: TxnRequest): Promise<TxnResponse> { return this.#call('Txn', req) as Promise<TxnResponse>; }
  async compact(req: { revision: number; physical?: boolean }): Promise<void> { await this.#call('Compact', req); }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /**
   * One session at a time, to one endpoint; when it fails, the next call connects to the next
   * endpoint. A call is retried on the next endpoint only when its connection was never made:
   * a request that was sent may have been applied, even if its answer was lost.
   */
  #connect(): http2.ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const endpoint = this.#endpoints[this.#next++ % this.#endpoints.length]!;
    const session = http2.connect(endpoint, { settings: { initialWindowSize: WINDOW_BYTES }, maxSessionMemory: 64 });
    session.on('connect', () => { connected.add(session); session.setLocalWindowSize(WINDOW_BYTES); });
    // Errors reach each stream too; an unheard session error would be thrown.
    session.on('error', () => undefined);
    session.on('close', () => { if (this.#session === session) this.#session = undefined; });
    session.on('goaway', () => { if (this.#session === session) this.#session = undefined; });
    // Like grpc-js: an idle connection does not keep the process alive.
    if (this.#active === 0) session.unref();
    this.#session = session;
    return session;
  }

  async #call(method: Method, message: object): Promise<unknown> {
    const m = methods[method];
    const body = m.request.encode(message).finish();
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    for (let attempt = 1; ; attempt++) {
      const session = this.#connect();
      try {
        return await this.#send(session, m, frame);
      } catch (e) {
        if (connected.has(session) || attempt >= this.#endpoints.length || !(e instanceof StorageUnavailableError)) throw e;
      }
    }
  }

  #send(session: http2.ClientHttp2Session, m: (typeof methods)[Method], frame: Buffer): Promise<unknown> {
    if (this.#active++ === 0) session.ref();
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        if (--this.#active === 0 && !session.destroyed) session.unref();
        if (err) reject(err); else resolve(value);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers' });
      } catch (e) {
        settle(new StorageUnavailableError(`etcd: ${(e as Error).message}`));
        return;
      }
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let statusMessage = '';
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] === undefined) return;
        status = String(h['grpc-status']);
        statusMessage = h['grpc-message'] ? decodeURIComponent(String(h['grpc-message'])) : '';
      };
      stream.on('response', readStatus);
      stream.on('trailers', readStatus);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (status === undefined) return settle(new StorageUnavailableError('etcd: the answer ended without a gRPC status'));
        if (status !== '0') return settle(new EtcdCallError(Number(status), statusMessage || `etcd: gRPC status ${status}`));
        const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (data.length < 5 || data[0] !== 0) return settle(new StorageUnavailableError('etcd: an answer that is not one uncompressed gRPC message'));
        try {
          settle(undefined, m.response.decode(data.subarray(5, 5 + data.readUInt32BE(1))));
        } catch (e) {
          settle(new StorageUnavailableError(`etcd: undecodable answer: ${(e as Error).message}`));
        }
      });
      stream.on('error', (e: Error) => settle(new StorageUnavailableError(`etcd: ${e.message}`)));
      // 'close' follows every 'end' too: no error is built unless it is needed.
      stream.on('close', () => { if (!settled) settle(new StorageUnavailableError('etcd: the connection closed before the answer')); });
      stream.end(frame);
    });
  }
}
