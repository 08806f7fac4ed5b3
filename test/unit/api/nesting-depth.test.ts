import t from 'tap';
import { jsonTextTooDeep, MAX_NESTING_DEPTH, valueTooDeep } from '../../../pkg/api/nesting-depth.js';

const nestedText = (depth: number, open = '[', close = ']') => Buffer.from(open.repeat(depth) + close.repeat(depth));
const nestedValue = (depth: number): unknown => {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) { const next = {}; at['a'] = next; at = next; }
  return root;
};

t.test('JSON text is too deep only past the limit, counting objects and arrays alike', async (t) => {
  t.equal(jsonTextTooDeep(nestedText(MAX_NESTING_DEPTH)), false, 'at the limit');
  t.equal(jsonTextTooDeep(nestedText(MAX_NESTING_DEPTH + 1)), true, 'one past it');
  t.equal(jsonTextTooDeep(Buffer.from('{"a":'.repeat(MAX_NESTING_DEPTH + 1) + '1' + '}'.repeat(MAX_NESTING_DEPTH + 1))), true, 'objects');
  t.equal(jsonTextTooDeep(nestedText(100_000)), true, 'a hundred thousand levels, without recursing');
});

t.test('brackets inside strings, escaped quotes included, do not count', async (t) => {
  const inString = Buffer.from(JSON.stringify({ a: '['.repeat(5000), b: '\\"[[[[' + '{'.repeat(5000) }));
  t.equal(jsonTextTooDeep(inString), false);
  const afterEscapedQuote = Buffer.from(`["\\"", ${'['.repeat(MAX_NESTING_DEPTH + 1)}${']'.repeat(MAX_NESTING_DEPTH + 1)}]`);
  t.equal(jsonTextTooDeep(afterEscapedQuote), true, 'an escaped quote does not end the string early or late');
});

t.test('a decoded value is too deep only past the limit', async (t) => {
  t.equal(valueTooDeep(nestedValue(MAX_NESTING_DEPTH)), false);
  t.equal(valueTooDeep(nestedValue(MAX_NESTING_DEPTH + 1)), true);
  t.equal(valueTooDeep('scalar'), false);
  t.equal(valueTooDeep({ a: 1 }, 0), true, 'no room left for an object');
});

t.test('a cyclic value (YAML aliases can make one) ends the walk as too deep instead of looping', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = [cyclic];
  t.equal(valueTooDeep(cyclic), true);
});

t.test('the walk counts what it visits, for callers that budget it', async (t) => {
  const work = { nodes: 0 };
  valueTooDeep({ a: { b: {} }, c: [1, 2, {}] }, MAX_NESTING_DEPTH, work);
  t.equal(work.nodes, 5);
});
