// Unary gRPC calls straight over node:http2: one HTTP/2 request with a length-prefixed message,
// answered by one message and a grpc-status trailer. Bytes in, bytes out; no protobuf here.
import http2 from 'node:http2';
import { StorageUnavailableError } from './storage.js';

/** A call the server answered with a gRPC error status (e.g. 11 for a compacted revision). */
export class GrpcCallError extends Error {
  override name = 'GrpcCallError';
  constructor(readonly grpcStatus: number, message: string) { super(message); }
}

/** Sends one request message to a method path, resolves with the answer message. */
export interface UnaryTransport {
  call(path: string, message: Uint8Array): Promise<Buffer>;
  close(): void;
}

/**
 * Big enough that a page of a 10,000-pod list (~4 MB) is never held up by HTTP/2 flow control,
 * whose default window is 64 KiB.
 */
const WINDOW_BYTES = 32 * 1024 * 1024;

/** Sessions whose connection was made: a request on them may have reached the server. */
const connected = new WeakSet<http2.ClientHttp2Session>();

export class Http2UnaryTransport implements UnaryTransport {
  readonly #endpoints: string[];
  #next = 0;
  #session: http2.ClientHttp2Session | undefined;
  #active = 0;

  constructor(endpoints: string[]) {
    if (!endpoints.length) throw new Error('no endpoints');
    this.#endpoints = endpoints;
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /**
   * A call is retried on the next endpoint only when its connection was never made: a request
   * that was sent may have been applied, even if its answer was lost.
   */
  async call(path: string, message: Uint8Array): Promise<Buffer> {
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame[0] = 0;
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    for (let attempt = 1; ; attempt++) {
      const session = this.#connect();
      try {
        return await this.#send(session, path, frame);
      } catch (e) {
        if (connected.has(session) || attempt >= this.#endpoints.length || !(e instanceof StorageUnavailableError)) throw e;
      }
    }
  }

  /** One session at a time, to one endpoint; when it fails, the next call connects to the next endpoint. */
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

  #send(session: http2.ClientHttp2Session, path: string, frame: Buffer): Promise<Buffer> {
    if (this.#active++ === 0) session.ref();
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        if (--this.#active === 0 && !session.destroyed) session.unref();
        if (err) reject(err); else resolve(value!);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
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
        if (status !== '0') return settle(new GrpcCallError(Number(status), statusMessage || `etcd: gRPC status ${status}`));
        const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (data.length < 5 || data[0] !== 0) return settle(new StorageUnavailableError('etcd: an answer that is not one uncompressed gRPC message'));
        settle(undefined, data.subarray(5, 5 + data.readUInt32BE(1)));
      });
      stream.on('error', (e: Error) => settle(new StorageUnavailableError(`etcd: ${e.message}`)));
      // 'close' follows every 'end' too: no error is built unless it is needed.
      stream.on('close', () => { if (!settled) settle(new StorageUnavailableError('etcd: the connection closed before the answer')); });
      stream.end(frame);
    });
  }
}
