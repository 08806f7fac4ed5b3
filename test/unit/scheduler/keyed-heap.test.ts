import t from 'tap';
import { KeyedHeap } from '../../../pkg/scheduler/keyed-heap.js';

interface Item { key: string; priority: number }
const heap = () => new KeyedHeap<Item>((a, b) => a.priority > b.priority, (i) => i.key);
const drain = (h: KeyedHeap<Item>) => {
  const out: string[] = [];
  for (let i = h.pop(); i; i = h.pop()) out.push(i.key);
  return out;
};

t.test('pops the highest priority first; equals in push order', async (t) => {
  const h = heap();
  for (const [key, priority] of [['a', 1], ['b', 5], ['c', 1], ['d', 5], ['e', 3], ['f', 1]] as const) h.push({ key, priority });
  t.equal(h.size, 6);
  t.same(drain(h), ['b', 'd', 'e', 'a', 'c', 'f']);
  t.equal(h.pop(), undefined);
});

t.test('push of a known key replaces it and queues it behind its new equals', async (t) => {
  const h = heap();
  for (const key of ['a', 'b', 'c']) h.push({ key, priority: 1 });
  h.push({ key: 'a', priority: 1 });
  t.equal(h.size, 3);
  t.same(drain(h), ['b', 'c', 'a']);
  for (const key of ['a', 'b', 'c']) h.push({ key, priority: 1 });
  h.push({ key: 'c', priority: 9 });
  t.equal(h.get('c')?.priority, 9);
  t.same(drain(h), ['c', 'a', 'b']);
});

t.test('delete by key keeps the order of the rest', async (t) => {
  const h = heap();
  for (let i = 0; i < 50; i++) h.push({ key: `k${i}`, priority: (i * 7) % 5 });
  for (let i = 0; i < 50; i += 3) t.equal(h.delete(`k${i}`)?.key, `k${i}`);
  t.equal(h.delete('k0'), undefined, 'gone');
  t.equal(h.has('k1'), true);
  t.equal(h.has('k3'), false);
  const want = Array.from({ length: 50 }, (_, i) => i)
    .filter((i) => i % 3 !== 0)
    .sort((a, b) => ((b * 7) % 5) - ((a * 7) % 5) || a - b)
    .map((i) => `k${i}`);
  t.same(drain(h), want);
});
