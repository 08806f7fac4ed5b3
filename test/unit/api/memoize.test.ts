import t from 'tap';
import { memoize } from '../../../pkg/api/memoize.js';

t.test('memoize computes each input once, undefined results included, and not throws', async (t) => {
  const calls: string[] = [];
  const f = memoize((k: string) => { calls.push(k); if (k === 'bad') throw new Error('bad input'); return k === 'none' ? undefined : { k }; });
  const a = f('a');
  t.equal(f('a'), a, 'the same result object');
  f('none'); f('none');
  t.throws(() => f('bad')); t.throws(() => f('bad'));
  t.same(calls, ['a', 'none', 'bad', 'bad']);
});

t.test('memoize forgets everything past its limit', async (t) => {
  let calls = 0;
  const f = memoize((k: number) => { calls++; return k * 2; }, 3);
  for (const k of [1, 2, 3, 1, 2, 3]) f(k);
  t.equal(calls, 3);
  t.equal(f(4), 8, 'the fourth input clears the three before it');
  t.equal(calls, 4);
  f(1);
  t.equal(calls, 5, 'so the first is computed again');
});
