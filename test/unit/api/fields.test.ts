import t from 'tap';
import { parseFieldSelector, exactMatch, escapeValue } from '../../../pkg/api/fields.js';
import { StatusError } from '../../../pkg/api/errors.js';

t.test('parseFieldSelector parses terms and escapes', async (t) => {
  const cases: { name: string; input: string; want: { field: string; operator: string; value: string }[]; str: string }[] = [
    { name: 'empty', input: '', want: [], str: '' },
    { name: 'equals', input: 'metadata.name=web', want: [{ field: 'metadata.name', operator: '=', value: 'web' }], str: 'metadata.name=web' },
    { name: 'double equals', input: 'spec.nodeName==n1', want: [{ field: 'spec.nodeName', operator: '=', value: 'n1' }], str: 'spec.nodeName=n1' },
    { name: 'not equals', input: 'status.phase!=Running', want: [{ field: 'status.phase', operator: '!=', value: 'Running' }], str: 'status.phase!=Running' },
    { name: 'empty value', input: 'spec.nodeName=', want: [{ field: 'spec.nodeName', operator: '=', value: '' }], str: 'spec.nodeName=' },
    {
      name: 'several, sorted', input: 'status.phase!=Failed,metadata.name=a', str: 'metadata.name=a,status.phase!=Failed',
      want: [{ field: 'metadata.name', operator: '=', value: 'a' }, { field: 'status.phase', operator: '!=', value: 'Failed' }],
    },
    { name: 'skips empty terms', input: 'a=b,,', want: [{ field: 'a', operator: '=', value: 'b' }], str: 'a=b' },
    { name: 'escaped comma and equals', input: 'a=x\\,y\\=z\\\\', want: [{ field: 'a', operator: '=', value: 'x,y=z\\' }], str: 'a=x\\,y\\=z\\\\' },
  ];
  for (const c of cases) {
    const sel = parseFieldSelector(c.input);
    t.same(sel.requirements, c.want, c.name);
    t.equal(sel.toString(), c.str, `${c.name}: toString`);
  }
});

t.test('parseFieldSelector errors', async (t) => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'no operator', input: 'a=b,foo', want: "invalid selector: 'a=b,foo'; can't understand 'foo'" },
    { name: 'unknown escape', input: 'a=b\\n', want: 'invalid field selector: invalid escape sequence: \\n' },
    { name: 'trailing backslash', input: 'a=b\\', want: 'invalid field selector: invalid escape sequence: \\' },
    { name: 'unescaped equals', input: 'a=b=c', want: 'invalid field selector: unescaped character in value: 61' },
  ];
  for (const c of cases) {
    const err = t.throws(() => parseFieldSelector(c.input), c.name) as unknown;
    t.ok(err instanceof StatusError && err.code === 400, `${c.name}: 400`);
    t.equal((err as Error).message, c.want, c.name);
  }
});

t.test('matching and exact match', async (t) => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running' };
  const cases: { name: string; input: string; want: boolean }[] = [
    { name: 'equal', input: 'metadata.name=web', want: true },
    { name: 'unequal', input: 'metadata.name=db', want: false },
    { name: 'not equal', input: 'status.phase!=Failed', want: true },
    { name: 'missing field is empty', input: 'spec.nodeName=', want: true },
    { name: 'missing field differs from value', input: 'spec.nodeName!=n1', want: true },
    { name: 'and', input: 'metadata.name=web,status.phase=Pending', want: false },
  ];
  for (const c of cases) t.equal(parseFieldSelector(c.input).matches(fields), c.want, c.name);
  t.equal(exactMatch(parseFieldSelector('metadata.name!=x,metadata.name=web'), 'metadata.name'), 'web');
  t.equal(exactMatch(parseFieldSelector('metadata.name!=x'), 'metadata.name'), undefined);
  t.equal(escapeValue('a,b=c\\'), 'a\\,b\\=c\\\\');
  t.ok(parseFieldSelector('').isEmpty());
});
