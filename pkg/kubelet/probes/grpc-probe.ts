// grpc probes (pkg/probe/grpc): grpc.health.v1.Health/Check over plaintext HTTP/2, spoken
// directly with node:http2 (one unary call needs a 5-byte frame and a one-field protobuf, not
// a gRPC stack). SERVING succeeds; everything else fails with upstream's words.
import http2 from 'node:http2';
import { goDuration, goQuote } from './go-format.js';
import { KUBE_MINOR_VERSION } from './http-get.js';
import type { ProbeOutcome } from './probe-result.js';

const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
] as const;
const CODE_DEADLINE_EXCEEDED = 4;
const CODE_UNIMPLEMENTED = 12;

interface RpcAnswer { code: number; message: string; body: Buffer }

export async function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const timeout = goDuration(timeoutMs / 1000);
  const deadline = Date.now() + timeoutMs;
  let session: http2.ClientHttp2Session;
  try {
    session = await connect(addr, timeoutMs);
  } catch {
    // grpc.DialContext with WithBlock keeps retrying until the deadline, then returns
    // context.DeadlineExceeded; we answer as it would without burning the whole timeout.
    return { result: 'failure', output: `timeout: failed to connect service ${goQuote(addr)} within ${timeout}: context deadline exceeded` };
  }
  try {
    let answer: RpcAnswer;
    try {
      answer = await call(session, encodeRequest(service), Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (err instanceof DeadlineError) return { result: 'failure', output: `timeout: health rpc did not complete within ${timeout}` };
      return { result: 'failure', output: `error: health rpc probe failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (answer.code === CODE_UNIMPLEMENTED) {
      return { result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.message}` };
    }
    if (answer.code === CODE_DEADLINE_EXCEEDED) return { result: 'failure', output: `timeout: health rpc did not complete within ${timeout}` };
    if (answer.code !== 0) {
      return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${CODE_NAMES[answer.code] ?? `Code(${answer.code})`} desc = ${answer.message}` };
    }
    const status = decodeStatus(answer.body);
    if (status !== 1) return { result: 'failure', output: `service unhealthy (responded with ${goQuote(SERVING_STATUS[status] ?? String(status))})` };
    return { result: 'success', output: 'service healthy' };
  } finally {
    session.close();
    session.destroy();
  }
}

class DeadlineError extends Error {}

function connect(addr: string, timeoutMs: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${addr}`);
    const timer = setTimeout(() => { session.destroy(); reject(new DeadlineError()); }, Math.max(1, timeoutMs));
    session.once('connect', () => { clearTimeout(timer); resolve(session); });
    session.once('error', (err) => { clearTimeout(timer); session.destroy(); reject(err); });
  });
}

function call(session: http2.ClientHttp2Session, message: Buffer, timeoutMs: number): Promise<RpcAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': HEALTH_CHECK_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': `kube-probe/${KUBE_MINOR_VERSION}`,
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
    });
    const timer = setTimeout(() => { stream.close(http2.constants.NGHTTP2_CANCEL); reject(new DeadlineError()); }, timeoutMs);
    let httpStatus = 0;
    let code: number | undefined;
    let grpcMessage = '';
    const take = (h: http2.IncomingHttpHeaders) => {
      const s = h['grpc-status'];
      if (s !== undefined) code = Number(s);
      const m = h['grpc-message'];
      if (typeof m === 'string') grpcMessage = decodeURIComponent(m);
    };
    const chunks: Buffer[] = [];
    stream.on('response', (h) => { httpStatus = Number(h[':status'] ?? 0); take(h); });
    stream.on('trailers', take);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (err) => { clearTimeout(timer); reject(err); });
    stream.on('close', () => {
      clearTimeout(timer);
      if (code === undefined) {
        if (httpStatus !== 200) {
          resolve({ code: codeForHttpStatus(httpStatus), message: `unexpected HTTP status code received from server: ${httpStatus}`, body: Buffer.alloc(0) });
        } else {
          resolve({ code: 13, message: 'server closed the stream without sending trailers', body: Buffer.alloc(0) });
        }
        return;
      }
      const data = Buffer.concat(chunks);
      // One length-prefixed message: compressed flag, 4-byte big-endian length, protobuf.
      const len = data.length >= 5 ? data.readUInt32BE(1) : 0;
      resolve({ code, message: grpcMessage, body: data.subarray(5, 5 + len) });
    });
    stream.end(frame(message));
  });
}

function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** HealthCheckRequest { string service = 1; } */
function encodeRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

/** HealthCheckResponse { ServingStatus status = 1; }: 0 (UNKNOWN) when absent. */
function decodeStatus(body: Buffer): number {
  let i = 0;
  let status = 0;
  while (i < body.length) {
    const [tag, afterTag] = readVarint(body, i);
    i = afterTag;
    const wireType = tag & 7;
    if (wireType === 0) {
      const [v, next] = readVarint(body, i);
      if (tag >>> 3 === 1) status = v;
      i = next;
    } else if (wireType === 2) {
      const [len, next] = readVarint(body, i);
      i = next + len;
    } else if (wireType === 5) i += 4;
    else if (wireType === 1) i += 8;
    else break;
  }
  return status;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, start: number): [number, number] {
  let v = 0;
  let shift = 0;
  let i = start;
  while (i < buf.length) {
    const b = buf[i++] ?? 0;
    v += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [v, i];
}

/** grpc-go's HTTP status → code mapping for non-gRPC answers. */
function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}
