// The fan-out bench's watchers, as a process of their own so that reading 1,000 streams does not
// delay the process that posts the events and stamps their send times. Forked by
// apiserver-bench.ts with `<apiserver url> <watch path> <watchers>`; it says { ready } once
// every watch has answered 200. Each phase starts with { begin } (events sent before it, still
// arriving from an earlier phase, are not counted) and ends with { collect }.
import { Agent, get, type IncomingMessage } from 'node:http';
import { percentile } from './bench-report.js';
import { SentTimeScanner } from './sent-time-scanner.js';

export type ToWatchers = { begin: { sinceMs: number } } | { collect: { expected: number; timeoutMs: number } };
export type FromWatchers =
  | { ready: true }
  | { begun: true }
  | { failed: string }
  | { collected: { delivered: number; p50: number; p99: number; max: number; lastReceivedMs: number } };

const [url, path, count] = process.argv.slice(2);
const watchers = Number(count);
if (!url || !path || !(watchers > 0)) throw new Error('usage: fanout-watchers <apiserver url> <watch path> <watchers>');
const send = (msg: FromWatchers) => process.send?.(msg);

let sinceMs = Infinity;
let delays: number[] = [];
let lastReceivedMs = 0;
const sent: number[] = [];

function read(res: IncomingMessage): void {
  const scanner = new SentTimeScanner();
  res.on('data', (chunk: Buffer) => {
    const now = Date.now();
    if (!scanner.push(chunk, sent)) return;
    const before = delays.length;
    for (const ms of sent) if (ms >= sinceMs) delays.push(now - ms);
    sent.length = 0;
    if (delays.length === before) return;
    lastReceivedMs = now;
  });
  res.on('error', () => undefined);
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
let answered = 0;
for (let i = 0; i < watchers; i++) {
  get(url + path, { agent }, (res) => {
    if (res.statusCode !== 200) { send({ failed: `watch answered ${res.statusCode}` }); process.exit(1); }
    read(res);
    if (++answered === watchers) send({ ready: true });
  }).on('error', (e) => { send({ failed: String(e) }); process.exit(1); });
}

process.on('message', (msg: ToWatchers) => {
  if ('begin' in msg) {
    sinceMs = msg.begin.sinceMs;
    delays = [];
    lastReceivedMs = 0;
    send({ begun: true });
    return;
  }
  const { expected, timeoutMs } = msg.collect;
  const deadline = Date.now() + timeoutMs;
  const check = () => {
    if (delays.length < expected && Date.now() < deadline) { setTimeout(check, 20); return; }
    const done = delays.sort((a, b) => a - b);
    send({ collected: {
      delivered: done.length, p50: percentile(done, 50), p99: percentile(done, 99), max: done[done.length - 1] ?? NaN,
      lastReceivedMs,
    } });
    sinceMs = Infinity;
    delays = [];
  };
  check();
});
// The bench ends us by closing the IPC channel (or by exiting).
process.on('disconnect', () => process.exit(0));
