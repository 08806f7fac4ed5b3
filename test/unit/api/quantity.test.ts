import t from 'tap';
import { formatCpuMillis, formatMemoryBytes, integerValue, milliValue, parseQuantity, validQuantity } from '../../../pkg/api/quantity.js';

t.test('parseQuantity returns base units for every suffix', async (t) => {
  const cases: [string | number, number][] = [
    ['100m', 0.1], ['1Gi', 1073741824], ['1e3', 1000], ['1E3', 1000], ['1.5', 1.5], ['2k', 2000], ['3M', 3e6],
    ['1G', 1e9], ['1T', 1e12], ['1P', 1e15], ['1E', 1e18], ['1Ki', 1024], ['128Mi', 134217728], ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50], ['1Ei', 2 ** 60], ['500u', 0.0005], ['10n', 1e-8], ['.5', 0.5], ['-2', -2], [3, 3], [0.25, 0.25], ['0', 0],
  ];
  for (const [q, want] of cases) t.equal(parseQuantity(q), want, String(q));
});

t.test('invalid quantities throw and are reported invalid', async (t) => {
  for (const q of ['', 'abc', '1Z', '1 Gi', '1gi', '--1', '.', '1.2.3', 'Mi']) {
    t.throws(() => parseQuantity(q), String(q));
    t.equal(validQuantity(q), false, q);
  }
  t.equal(validQuantity('250m'), true);
  t.equal(validQuantity({}), false);
});

t.test('milliValue is exact and rounds up like MilliValue', async (t) => {
  t.equal(milliValue('100m'), 100);
  t.equal(milliValue('0.1'), 100);
  t.equal(milliValue('1'), 1000);
  t.equal(milliValue('1.5'), 1500);
  t.equal(milliValue('0.0001'), 1);
  t.equal(milliValue('1u'), 1);
  t.equal(milliValue('1Ki'), 1024000);
  t.equal(integerValue('1.5'), 2);
  t.equal(integerValue('100m'), 1);
  t.equal(integerValue('64Mi'), 67108864);
});

t.test('canonical formats', async (t) => {
  t.equal(formatCpuMillis(2000), '2');
  t.equal(formatCpuMillis(250), '250m');
  t.equal(formatMemoryBytes(134217728), '128Mi');
  t.equal(formatMemoryBytes(2 ** 30), '1Gi');
  t.equal(formatMemoryBytes(1536), '1536');
  t.equal(formatMemoryBytes(0), '0');
});
