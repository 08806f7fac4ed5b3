import t from 'tap';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { batchPerTurn } from '../../../pkg/api/turn-batch.js';

t.test('batchPerTurn hands over what one turn collected, in order, once, at the turn end', async (t) => {
  const batches: number[][] = [];
  const add = batchPerTurn<number>((items) => batches.push(items));
  add(1); add(2); add(3);
  t.same(batches, [], 'nothing is flushed during the turn');
  await nextTurn();
  t.same(batches, [[1, 2, 3]]);
  add(4);
  await nextTurn();
  t.same(batches, [[1, 2, 3], [4]], 'a later item starts a new batch');
  await nextTurn();
  t.equal(batches.length, 2, 'no empty batch');
});
