// tokenfile.NewCSV's format and errors, and the bearer header parsing of bearertoken.Authenticator.
import t from 'tap';
import { parseTokenFile, formatTokenRecord, TokenFileError } from '../../../../pkg/api/token-file.js';
import { authenticateToken, bearerToken } from '../../../../pkg/apiserver/authentication/token-authentication.js';

t.test('records map tokens to users; quoted groups split on commas; uid optional', async (t) => {
  const tokens = parseTokenFile([
    'tok1,alice,1001,"group1,group2"',
    'tok2,bob,,system:nodes',
    'tok3,"carol ""c""",3',
    '',
  ].join('\n'), 'tokens.csv');
  t.same(tokens.get('tok1'), { name: 'alice', uid: '1001', groups: ['group1', 'group2'] });
  t.same(tokens.get('tok2'), { name: 'bob', groups: ['system:nodes'] });
  t.same(tokens.get('tok3'), { name: 'carol "c"', uid: '3', groups: [] });
  t.equal(tokens.size, 3);
});

t.test('a record with fewer than 3 columns is rejected with upstream\'s error', async (t) => {
  t.throws(() => parseTokenFile('tok1,alice\n', '/etc/tokens.csv'),
    new TokenFileError("token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2"));
});

t.test('CSV syntax errors are encoding/csv\'s', async (t) => {
  t.throws(() => parseTokenFile('tok"1,alice,1\n', 'f'), { message: 'parse error on line 1, column 4: bare " in non-quoted-field' });
  t.throws(() => parseTokenFile('tok1,"alice"x,1\n', 'f'), { message: 'parse error on line 1, column 13: extraneous or missing " in quoted-field' });
  t.throws(() => parseTokenFile('tok1,"alice,1\n', 'f'), { message: /extraneous or missing " in quoted-field/ });
});

t.test('empty tokens are skipped and duplicates override, both with a warning', async (t) => {
  const warnings: string[] = [];
  const tokens = parseTokenFile(',nobody,0\ntok,first,1\ntok,second,2\n', 'f', (m) => warnings.push(m));
  t.same([...tokens.keys()], ['tok']);
  t.equal(tokens.get('tok')?.name, 'second');
  t.same(warnings, ["empty token has been found in token file 'f', record number '1'", "duplicate token has been found in token file 'f', record number '3'"]);
});

t.test('formatTokenRecord writes what parseTokenFile reads back', async (t) => {
  const user = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const line = formatTokenRecord('abc', user);
  t.equal(line, 'abc,system:node:n1,,"system:nodes,system:authenticated"');
  t.same(parseTokenFile(`${line}\n`, 'f').get('abc'), user);
});

t.test('bearer tokens: scheme case-insensitive, others ignored; system:authenticated added', async (t) => {
  t.equal(bearerToken('Bearer abc'), 'abc');
  t.equal(bearerToken('bearer abc'), 'abc');
  t.equal(bearerToken('Basic YTpi'), undefined);
  t.equal(bearerToken('Bearer'), undefined);
  t.equal(bearerToken(undefined), undefined);
  const tokens = new Map([['t', { name: 'u', groups: ['g'] }]]);
  t.same(authenticateToken(tokens, 't'), { name: 'u', groups: ['g', 'system:authenticated'] });
  t.equal(authenticateToken(tokens, 'other'), undefined);
});
