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

t.test('too deeply nested bodies are 400 BadRequest in every encoding, before anything recurses', async (t) => {
  const cases: [string, string, Buffer][] = [
    ['JSON arrays', 'application/json', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000))],
    ['JSON objects', 'application/json', Buffer.from('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))],
    ['YAML flow maps (the body that crashed the apiserver)', 'application/yaml', Buffer.from('{'.repeat(5000) + '}'.repeat(5000))],
    ['YAML block sequences', 'application/yaml', Buffer.from('- '.repeat(3000) + 'x')],
    ['YAML block maps', 'application/yaml', Buffer.from(Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'))],
  ];
  for (const [name, type, body] of cases) {
    const err = await decodeObjectBodySoon(type, body).then(() => undefined, (e: unknown) => e);
    t.ok(isStatusError(err), name);
    if (isStatusError(err)) {
      t.equal(err.code, 400, `${name}: 400`);
      t.match(err.message, /exceeded max depth of 500$|invalid map key/, `${name}: says why`);
    }
  }
});

t.test('YAML aliases that nest anchored nodes past the limit are refused after composing', async (t) => {
  // Each line nests 300 deep; the alias puts the first inside the second, 600 deep.
  const lines = [`a: &a ${'['.repeat(300)}x${']'.repeat(300)}`, `b: ${'['.repeat(300)}*a${']'.repeat(300)}`, 'kind: ConfigMap'];
  const err = await decodeObjectBodySoon('application/yaml', Buffer.from(lines.join('\n'))).then(() => undefined, (e: unknown) => e);
  t.ok(isStatusError(err) && err.code === 400 && /exceeded max depth/.test(err.message));
});

t.test('bodies nested up to the limit still decode', async (t) => {
  const depth = 500;
  const obj = await decodeObjectBodySoon('application/json', Buffer.from('{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1)));
  t.ok(obj);
  const yamlObj = await decodeObjectBodySoon('application/yaml', Buffer.from('a: ' + '['.repeat(depth - 1) + ']'.repeat(depth - 1)));
  t.ok(yamlObj);
});

t.test('YAML collections used as keys are refused at once, however deep ({{...}} once took minutes)', async (t) => {
  for (const depth of [3, 300, 501]) {
    const started = Date.now();
    const err = await decodeObjectBodySoon('application/yaml', Buffer.from('{'.repeat(depth) + '}'.repeat(depth))).then(() => undefined, (e: unknown) => e);
    t.ok(isStatusError(err) && err.code === 400, `${depth} levels: 400`);
    t.ok(Date.now() - started < 10_000, `${depth} levels: answered without decoding`);
  }
  const explicit = await decodeObjectBodySoon('application/yaml', Buffer.from('? [a, b]\n: c\n')).then(() => undefined, (e: unknown) => e);
  t.match(explicit, { code: 400, message: /invalid map key/ });
});

t.test('YAML nesting counts the outermost collection as level 1, as JSON does', async (t) => {
  const seq = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));
  t.ok(await decodeObjectBodySoon('application/yaml', Buffer.from(`a: ${'['.repeat(499)}${']'.repeat(499)}`)), '500 levels decode');
  const err = await decodeObjectBodySoon('application/yaml', seq(501)).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 400, message: /exceeded max depth of 500/ });
});
