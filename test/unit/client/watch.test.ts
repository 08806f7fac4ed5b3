import t from 'tap';
import { decodeWatchEvents, type WatchEvent } from '../../../pkg/client/watch.js';
import { isGone, StatusError } from '../../../pkg/api/errors.js';

async function* chunks(...parts: (string | Uint8Array)[]) { for (const p of parts) yield typeof p === 'string' ? new TextEncoder().encode(p) : p; }
async function collect<T>(it: AsyncIterable<WatchEvent<T>>): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  for await (const e of it) out.push(e);
  return out;
}

t.test('decodes one event per line across arbitrary chunk boundaries', async (t) => {
  const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '5' } } });
  const b = JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'ü', resourceVersion: '6' } } });
  const bytes = new TextEncoder().encode(`${a}\n${b}\n`);
  // Split inside the multi-byte ü too.
  const split = bytes.indexOf(0xc3) + 1;
  const events = await collect(decodeWatchEvents<{ metadata: { name: string } }>(chunks(bytes.slice(0, 10), bytes.slice(10, split), bytes.slice(split))));
  t.same(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a'], ['MODIFIED', 'ü']]);
});

t.test('a last line without newline is still an event; blank lines are skipped', async (t) => {
  const events = await collect(decodeWatchEvents(chunks('\n{"type":"DELETED","object":{"kind":"Pod"}}\n\n', '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}')));
  t.same(events.map((e) => e.type), ['DELETED', 'BOOKMARK']);
});

t.test('an ERROR event with a 410 Status is thrown as a Gone StatusError', async (t) => {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 1 (50)' };
  const it = decodeWatchEvents(chunks(`{"type":"ADDED","object":{}}\n{"type":"ERROR","object":${JSON.stringify(status)}}\n`));
  const seen: string[] = [];
  const err = await (async () => { try { for await (const e of it) seen.push(e.type); } catch (e) { return e; } return undefined; })();
  t.same(seen, ['ADDED']);
  t.ok(err instanceof StatusError);
  t.ok(isGone(err));
  t.equal((err as StatusError).reason, 'Expired');
  t.equal((err as StatusError).message, 'too old resource version: 1 (50)');
});

t.test('other ERROR events are yielded; garbage is an error', async (t) => {
  const events = await collect(decodeWatchEvents(chunks('{"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}}\n')));
  t.equal(events[0]?.type, 'ERROR');
  await t.rejects(collect(decodeWatchEvents(chunks('not json\n'))), StatusError);
  await t.rejects(collect(decodeWatchEvents(chunks('{"type":"WHAT","object":{}}\n'))), StatusError);
});
