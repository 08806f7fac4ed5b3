import t from 'tap';
import { SentTimeScanner } from '../../../test/bench/sent-time-scanner.js';

const event = (name: string, sent?: number) =>
  `${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name, labels: { note: 'ü' } }, ...(sent ? { data: { sent: String(sent) } } : {}) } })}\n`;

t.test('finds the send time of every line, whatever the chunk boundaries', async (t) => {
  const stream = Buffer.from(event('a', 1700000000001) + event('b', 1700000000002) + event('c', 1700000000003));
  // Every way to cut the stream in two, and byte by byte.
  for (let cut = 0; cut <= stream.length; cut++) {
    const scanner = new SentTimeScanner();
    const sent: number[] = [];
    scanner.push(stream.subarray(0, cut), sent);
    scanner.push(stream.subarray(cut), sent);
    if (sent.join() !== '1700000000001,1700000000002,1700000000003') { t.fail(`cut at ${cut}: ${sent.join()}`); return; }
  }
  const scanner = new SentTimeScanner();
  const sent: number[] = [];
  for (let i = 0; i < stream.length; i++) scanner.push(stream.subarray(i, i + 1), sent);
  t.same(sent, [1700000000001, 1700000000002, 1700000000003]);
});

t.test('counts only lines that carry a send time, and only once they are complete', async (t) => {
  const scanner = new SentTimeScanner();
  const sent: number[] = [];
  const bookmark = '{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"12"}}}\n';
  t.equal(scanner.push(Buffer.from(bookmark + event('a') + event('b', 42)), sent), 1);
  t.same(sent, [42]);
  const half = event('c', 43);
  t.equal(scanner.push(Buffer.from(half.slice(0, -1)), sent), 0, 'no newline yet');
  t.equal(scanner.push(Buffer.from('\n'), sent), 1);
  t.same(sent, [42, 43]);
});
