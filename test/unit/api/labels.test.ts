import t from 'tap';
import {
  parseSelector, labelSelectorAsSelector, selectorFromSet, labelSelectorToString, formatLabelSelector, requiresExactMatch,
} from '../../../pkg/api/labels.js';
import { StatusError } from '../../../pkg/api/errors.js';

const labels = { app: 'web', tier: 'front', version: '3', empty: '' };

t.test('parseSelector matches as labels.Parse does', async (t) => {
  const cases: { name: string; input: string; want: boolean; str: string }[] = [
    { name: 'empty selects everything', input: '', want: true, str: '' },
    { name: 'blank selects everything', input: '  ', want: true, str: '' },
    { name: 'equals', input: 'app=web', want: true, str: 'app=web' },
    { name: 'double equals', input: 'app==web', want: true, str: 'app==web' },
    { name: 'equals mismatch', input: 'app=db', want: false, str: 'app=db' },
    { name: 'not equals on other value', input: 'app!=db', want: true, str: 'app!=db' },
    { name: 'not equals on missing key', input: 'zone!=a', want: true, str: 'zone!=a' },
    { name: 'in', input: 'app in (db,web)', want: true, str: 'app in (db,web)' },
    { name: 'in without spaces', input: 'app in(web)', want: true, str: 'app in (web)' },
    { name: 'in on missing key', input: 'zone in (a)', want: false, str: 'zone in (a)' },
    { name: 'notin', input: 'app notin (web)', want: false, str: 'app notin (web)' },
    { name: 'notin on missing key', input: 'zone notin (a)', want: true, str: 'zone notin (a)' },
    { name: 'exists', input: 'tier', want: true, str: 'tier' },
    { name: 'exists missing', input: 'zone', want: false, str: 'zone' },
    { name: 'does not exist', input: '!zone', want: true, str: '!zone' },
    { name: 'does not exist present', input: '!app', want: false, str: '!app' },
    { name: 'empty value matches empty label', input: 'empty=', want: true, str: 'empty=' },
    { name: 'empty set member', input: 'empty in (,x)', want: true, str: 'empty in (,x)' },
    { name: 'empty parens', input: 'empty in ()', want: true, str: 'empty in ()' },
    { name: 'gt', input: 'version>2', want: true, str: 'version>2' },
    { name: 'lt', input: 'version<2', want: false, str: 'version<2' },
    { name: 'and, sorted by key', input: 'tier=front, app=web', want: true, str: 'app=web,tier=front' },
    { name: 'and with one failing', input: 'app=web,tier=back', want: false, str: 'app=web,tier=back' },
    { name: 'keyword as value', input: 'app in (in,notin)', want: false, str: 'app in (in,notin)' },
    { name: 'prefixed key', input: 'example.com/role', want: false, str: 'example.com/role' },
  ];
  for (const c of cases) {
    const sel = parseSelector(c.input);
    t.equal(sel.matches(labels), c.want, c.name);
    t.equal(sel.toString(), c.str, `${c.name}: toString`);
  }
  t.equal(parseSelector('a!=b').matches(undefined), true, 'undefined labels count as no labels');
  t.equal(parseSelector('a').matches(undefined), false);
  t.ok(parseSelector('').isEmpty());
  t.notOk(parseSelector('a').isEmpty());
});

t.test('parseSelector rejects bad selectors with upstream wording', async (t) => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'missing paren', input: 'a in b', want: "unable to parse requirement: found 'b' expected: '('" },
    { name: 'leading operator', input: '=a', want: "found '=', expected: !, identifier, or 'end of string'" },
    { name: 'trailing comma', input: 'a=b,', want: "found '', expected: identifier after ','" },
    { name: 'two values', input: 'a=b c', want: "found 'c', expected: ',' or 'end of string'" },
    { name: 'bad operator', input: 'a b', want: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
    { name: 'unterminated set', input: 'a in (b', want: "unable to parse requirement: found '', expected: ',' or ')'" },
    { name: 'value after operator', input: 'a==(', want: "unable to parse requirement: found '(', expected: identifier" },
    {
      name: 'invalid key', input: 'a@b=c',
      want: "unable to parse requirement: : Invalid value: \"a@b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    },
    {
      name: 'invalid value', input: 'a=b@',
      want: "unable to parse requirement: values[0][a]: Invalid value: \"b@\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    },
    { name: 'non-integer gt', input: 'a>b', want: "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer" },
  ];
  for (const c of cases) {
    try {
      parseSelector(c.input);
      t.fail(`${c.name}: no error`);
    } catch (e) {
      t.ok(e instanceof StatusError, c.name);
      t.equal((e as StatusError).code, 400, `${c.name}: code`);
      t.equal((e as StatusError).message, c.want, c.name);
    }
  }
});

t.test('labelSelectorAsSelector: nil selects nothing, empty everything', async (t) => {
  const cases: { name: string; input: Parameters<typeof labelSelectorAsSelector>[0]; want: boolean; str: string }[] = [
    { name: 'undefined', input: undefined, want: false, str: '' },
    { name: 'null', input: null, want: false, str: '' },
    { name: 'empty', input: {}, want: true, str: '' },
    { name: 'empty lists', input: { matchLabels: {}, matchExpressions: [] }, want: true, str: '' },
    { name: 'matchLabels', input: { matchLabels: { tier: 'front', app: 'web' } }, want: true, str: 'app=web,tier=front' },
    { name: 'matchLabels mismatch', input: { matchLabels: { app: 'db' } }, want: false, str: 'app=db' },
    {
      name: 'expressions', want: true, str: 'app in (db,web),tier notin (back),version,!zone',
      input: { matchExpressions: [
        { key: 'app', operator: 'In', values: ['web', 'db'] }, { key: 'tier', operator: 'NotIn', values: ['back'] },
        { key: 'version', operator: 'Exists' }, { key: 'zone', operator: 'DoesNotExist' },
      ] },
    },
  ];
  for (const c of cases) {
    const sel = labelSelectorAsSelector(c.input);
    t.equal(sel.matches(labels), c.want, c.name);
    t.equal(sel.toString(), c.str, `${c.name}: toString`);
  }
  t.notOk(labelSelectorAsSelector(undefined).matches({}), 'nothing matches even no labels');
  t.notOk(labelSelectorAsSelector(undefined).isEmpty());
  t.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Equals' }] }),
    { message: '"Equals" is not a valid label selector operator' });
  t.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    { message: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" });
});

t.test('selectorFromSet, labelSelectorToString and formatLabelSelector', async (t) => {
  t.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  t.ok(selectorFromSet({}).matches(undefined));
  t.notOk(selectorFromSet({ a: '1' }).matches({ a: '2' }));
  t.equal(labelSelectorToString({ matchLabels: { app: 'web' } }), 'app=web');
  t.equal(formatLabelSelector({}), '<none>');
  t.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
  t.equal(requiresExactMatch(parseSelector('a=1,b in (2)'), 'b'), '2');
  t.equal(requiresExactMatch(parseSelector('a!=1'), 'a'), undefined);
});
