// The fuzz suite's and the hostile bench's view of a kube-apiserver process: requests written
// byte for byte on their own connection (so unknown methods, broken request lines and bodies
// over the limit go out exactly as generated), the answer read back whatever it is, and the
// check every answer must pass. A real process, not inject(): a crash must be seen as one, with
// the input that caused it, and not take the test runner down with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { APISERVER_MAIN } from '../../harness/apiserver.js';
import { onFreePorts } from '../../harness/free-port.js';
import { componentEnv, componentNodeArgs } from '../../../pkg/component/process-env.js';

/** What goes on the wire: a request line, headers and body, or raw bytes sent as they are. */
export interface WireRequest {
  method: string;
  /** The request target as written on the request line (path and query, not re-encoded). */
  target: string;
  headers: [string, string][];
  body?: Buffer;
  /** Sent instead of method/target/headers/body: for what no HTTP client would send. */
  raw?: Buffer;
}

export interface Answer {
  /** 0 when no HTTP answer came back. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Why there was no answer (connection reset, closed, timed out). */
  error?: string;
}

/** The request's bytes; Content-Length is added where the request has a body and sets none. */
export function serialize(req: WireRequest): Buffer {
  if (req.raw) return req.raw;
  const headers = [...req.headers];
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) headers.unshift(['Host', '127.0.0.1']);
  if (req.body && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) headers.push(['Content-Length', String(req.body.length)]);
  const head = `${req.method} ${req.target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return req.body ? Buffer.concat([Buffer.from(head, 'latin1'), req.body]) : Buffer.from(head, 'latin1');
}

/**
 * Sends one request on a new connection and reads the answer, whatever happens to the write: a
 * server may answer 413 and close before taking the whole body. The connection is not
 * half-closed, since Node's server then drops the request it is still working on; a request
 * the server keeps waiting on (a short body, unfinished headers) is half-closed after
 * `halfCloseAfterMs` without an answer, as a client that gives up, and is then answered.
 */
export function sendRaw(port: number, bytes: Buffer, opts: { timeoutMs?: number; halfCloseAfterMs?: number; head?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    let socketError: string | undefined;
    let halfClosed = false;
    const timer = setTimeout(() => finish(`no answer within ${opts.timeoutMs ?? 20_000} ms`), opts.timeoutMs ?? 20_000);
    let halfClose: NodeJS.Timeout | undefined;
    const finish = (why?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(halfClose);
      socket.destroy();
      const answer = parseAnswer(Buffer.concat(chunks));
      const closed = `the connection closed without an answer${halfClosed ? ` (after the client half-closed, ${opts.halfCloseAfterMs} ms after sending)` : ''}`;
      resolve(answer.status ? answer : { ...answer, error: why ?? socketError ?? closed });
    };
    socket.on('data', (d: Buffer) => {
      received += d.length;
      // A list of big objects can be large; nothing hostile needs more than this to be judged.
      if (received <= 64 * 1024 * 1024) chunks.push(d);
      if (isComplete(Buffer.concat(chunks), opts.head ?? false)) finish();
    });
    socket.on('error', (e) => { socketError = `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`; });
    socket.on('close', () => finish());
    socket.on('connect', () => socket.write(bytes, () => {
      if (opts.halfCloseAfterMs && !done) halfClose = setTimeout(() => { if (!received && !done) { halfClosed = true; socket.end(); } }, opts.halfCloseAfterMs);
    }));
  });
}

/** Whether bytes hold a whole response (a keep-alive server leaves the connection open after it). */
function isComplete(bytes: Buffer, head: boolean): boolean {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const headText = bytes.toString('latin1', 0, headEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
  // An interim 100 Continue is followed by the real answer.
  if (status === 100) return isComplete(bytes.subarray(headEnd + 4), head);
  if (head || status === 204 || status === 304) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1];
  if (length !== undefined) return bytes.length - headEnd - 4 >= Number(length);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(headText)) return bytes.subarray(headEnd + 4).includes('\r\n0\r\n\r\n') || bytes.subarray(headEnd + 4).subarray(0, 5).toString() === '0\r\n\r\n';
  return false;
}

export function parseAnswer(bytes: Buffer): Answer {
  if (/^HTTP\/1\.[01] 100 /.test(bytes.toString('latin1', 0, 13))) {
    const end = bytes.indexOf('\r\n\r\n');
    if (end >= 0) return parseAnswer(bytes.subarray(end + 4));
  }
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: 0, headers: {}, body: bytes.toString('latin1').slice(0, 500) };
  const [statusLine = '', ...lines] = bytes.toString('latin1', 0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = bytes.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) break;
    out.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * Why an answer is not acceptable, or undefined when it is. Acceptable: a 2xx (the input
 * happened to be valid), or a 4xx whose body is a Kubernetes Status saying the same code.
 * `nested` inputs must also be refused by a depth bound, not by running out of stack.
 */
export function answerProblem(answer: Answer, opts: { head?: boolean; nested?: boolean } = {}): string | undefined {
  const { status } = answer;
  if (status === 0) return `no HTTP answer: ${answer.error ?? ''} ${answer.body.slice(0, 200)}`.trim();
  if (status >= 200 && status < 300) return undefined;
  if (status < 400 || status >= 500) return `HTTP ${status}: ${answer.body.slice(0, 300)}`;
  if (opts.head) return undefined;
  let parsed: Record<string, unknown>;
  try { parsed = JSON.parse(answer.body) as Record<string, unknown>; } catch { return `HTTP ${status} with a body that is not JSON: ${answer.body.slice(0, 300)}`; }
  if (parsed === null || typeof parsed !== 'object') return `HTTP ${status} with JSON that is not an object: ${answer.body.slice(0, 300)}`;
  const bad: string[] = [];
  if (parsed['kind'] !== 'Status') bad.push('kind is not Status');
  if (parsed['apiVersion'] !== 'v1') bad.push('apiVersion is not v1');
  if (parsed['status'] !== 'Failure') bad.push('status is not Failure');
  if (typeof parsed['reason'] !== 'string' || !parsed['reason']) bad.push('no reason');
  if (parsed['code'] !== status) bad.push(`code ${String(parsed['code'])} is not the HTTP status`);
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) bad.push(`content-type ${answer.headers['content-type'] ?? 'none'}`);
  if (opts.nested && /call stack|too much recursion/i.test(String(parsed['message']))) bad.push('refused by a stack overflow, not a depth bound');
  return bad.length ? `HTTP ${status}, ${bad.join(', ')}: ${answer.body.slice(0, 300)}` : undefined;
}

/** A kube-apiserver process; restarted after a crash, so one crash does not fail every later case. */
export interface HostileTarget {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Set when the process exited: how, and the end of what it printed. */
  crashed(): string | undefined;
  /** Every crash seen since the start. */
  readonly crashes: string[];
  /** True when the process is up and answers /healthz (at most timeoutMs). */
  answers(timeoutMs?: number): Promise<boolean>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** V8's old-space limit for the process, so a memory bomb ends it soon rather than after eating the machine. */
  maxOldSpaceMb?: number;
  maxRequestBytes?: number;
}

export function startHostileTarget(etcd: string, prefix: string, opts: TargetOptions = {}): Promise<HostileTarget> {
  return onFreePorts(1, async ([port]) => {
    const url = `http://127.0.0.1:${port!}`;
    const crashes: string[] = [];
    let proc: ChildProcess;
    let output = '';
    let stopping = false;
    const launch = async () => {
      const args = ['--etcd-servers', etcd, '--etcd-prefix', prefix, '--insecure-port', String(port)];
      if (opts.maxRequestBytes) args.push('--max-request-bytes', String(opts.maxRequestBytes));
      const nodeArgs = componentNodeArgs(APISERVER_MAIN, args);
      if (opts.maxOldSpaceMb) nodeArgs.unshift(`--max-old-space-size=${opts.maxOldSpaceMb}`);
      output = '';
      proc = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: componentEnv() });
      const keep = (b: Buffer) => { output = (output + b.toString()).slice(-4000); };
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      const p = proc;
      p.once('exit', (code, signal) => {
        if (!stopping) crashes.push(`kube-apiserver exited (code ${code}, signal ${signal}): ${lastLines(output)}`);
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`kube-apiserver exited at start: ${output}`);
        try { if ((await fetch(`${url}/healthz`)).ok) return; } catch { /* not up yet */ }
        if (Date.now() > deadline) { p.kill('SIGKILL'); throw new Error(`kube-apiserver not healthy: ${output}`); }
        await sleep(50);
      }
    };
    const kill = async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    };
    await launch();
    return {
      url, port: port!, crashes,
      get process() { return proc; },
      crashed: () => (proc.exitCode !== null || proc.signalCode !== null ? crashes.at(-1) ?? `exited ${proc.exitCode ?? proc.signalCode}` : undefined),
      async answers(timeoutMs = 5000) {
        if (proc.exitCode !== null || proc.signalCode !== null) return false;
        try { return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) })).ok; } catch { return false; }
      },
      async restart() { stopping = true; await kill(); stopping = false; await launch(); },
      async stop() { stopping = true; await kill(); },
    };
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-6).join('\n').slice(-1500);
}

/** A GET's status and body as text, or why it could not be read: for the sentinel comparison. */
export async function readText(url: string, path: string): Promise<string> {
  try {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
    return `${res.status} ${await res.text()}`;
  } catch (e) {
    return `unreadable: ${String(e)}`;
  }
}
