// A load generator's HTTP/1.1 client: keep-alive connections with one request in flight each,
// each request written as one string in one write, answers read by Content-Length. The bench shares two cores
// with the server it measures, so every microsecond the client spends per request is taken from
// the server: undici costs about as much CPU per request as etcd does per transaction. Real
// clients' cost is measured separately (the bench prints the undici figure beside it).
import { connect, type Socket } from 'node:net';

export interface LoadResponse { status: number; body: Buffer }

interface Pending { resolve: (r: LoadResponse) => void; reject: (e: Error) => void }

const HEADER_END = Buffer.from('\r\n\r\n');

class KeepAliveConnection {
  private readonly socket: Socket;
  private pending: Pending | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  async send(request: string): Promise<LoadResponse> {
    await this.ready;
    if (this.pending) throw new Error('one request at a time per connection');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void { this.socket.destroy(); }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
    const bodyStart = headerEnd + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (this.buffered.length < bodyEnd) return;
    const response = { status: Number(head.slice(9, 12)), body: this.buffered.subarray(bodyStart, bodyEnd) };
    this.buffered = this.buffered.subarray(bodyEnd);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(response);
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}

/** `size` keep-alive connections to one server, lent out one request at a time each. */
export class KeepAliveLoad {
  private readonly idle: KeepAliveConnection[];
  private readonly waiting: ((c: KeepAliveConnection) => void)[] = [];
  private readonly host: string;

  constructor(url: string, size: number) {
    const { hostname, port } = new URL(url);
    this.host = `${hostname}:${port}`;
    this.idle = Array.from({ length: size }, () => new KeepAliveConnection(hostname, Number(port)));
  }

  /** json: written as UTF-8, in one write with the request's head (no Buffer made for it). */
  async post(path: string, json: string): Promise<LoadResponse> {
    const request = `POST ${path} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
    const connection = this.idle.pop() ?? await new Promise<KeepAliveConnection>((resolve) => this.waiting.push(resolve));
    try {
      return await connection.send(request);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection); else this.idle.push(connection);
    }
  }

  close(): void {
    for (const c of this.idle) c.close();
  }
}
