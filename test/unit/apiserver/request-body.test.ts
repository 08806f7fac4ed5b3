import t from 'tap';
import { decodeObjectBodySoon } from '../../../pkg/apiserver/request-body.js';
import { isStatusError } from '../../../pkg/api/errors.js';

const json = (o: unknown) => Buffer.from(JSON.stringify(o));

t.test('decodeObjectBodySoon decodes the bodies of one turn together, before any caller resumes', async (t) => {
  const events: string[] = [];
  const decodeThen = async (name: string, body: Buffer) => {
    const obj = await decodeObjectBodySoon('application/json', body);
    events.push(`resumed ${name}`);
    return obj;
  };
  const origParse = JSON.parse;
  JSON.parse = ((text: string) => { events.push('parsed'); return origParse(text); }) as typeof JSON.parse;
  try {
    const both = Promise.all([
      decodeThen('a', json({ metadata: { name: 'a' } })),
      decodeThen('b', json({ metadata: { name: 'b' } })),
    ]);
    t.same(events, [], 'nothing is decoded before the turn ends');
    const [a, b] = await both;
    t.same([a.metadata?.name, b.metadata?.name], ['a', 'b']);
  } finally {
    JSON.parse = origParse;
  }
  t.same(events, ['parsed', 'parsed', 'resumed a', 'resumed b'], 'both are decoded before either caller goes on');
});

t.test('a body that cannot be decoded fails alone, with its Status', async (t) => {
  const [bad, good] = await Promise.allSettled([
    decodeObjectBodySoon('application/json', Buffer.from('{"metadata":')),
    decodeObjectBodySoon(undefined, json({ kind: 'Pod' })),
  ]);
  t.equal(bad.status, 'rejected');
  const err = (bad as PromiseRejectedResult).reason;
  t.ok(isStatusError(err) && err.status.code === 400 && err.status.reason === 'BadRequest', 'a 400 BadRequest');
  t.same((good as PromiseFulfilledResult<unknown>).value, { kind: 'Pod' });
  const unsupported = await decodeObjectBodySoon('text/plain', json({})).catch((e: unknown) => e);
  t.ok(isStatusError(unsupported) && unsupported.status.code === 415, 'an unsupported media type too');
});
