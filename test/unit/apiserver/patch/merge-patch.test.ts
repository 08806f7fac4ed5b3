import t from 'tap';
import { applyMergePatch } from '../../../../pkg/apiserver/patch/merge-patch.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { statusOf } from './status-of.js';

interface Case { name: string; original: KubeObject; patch: unknown; want: KubeObject }

const cases: Case[] = [
  {
    name: 'kubectl label: sets a label and null deletes one',
    original: { metadata: { name: 'p', labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { a: null, c: '3' } } },
    want: { metadata: { name: 'p', labels: { b: '2', c: '3' } } },
  },
  {
    name: 'kubectl annotate adds annotations to an object without any',
    original: { metadata: { name: 'p' } },
    patch: { metadata: { annotations: { note: 'x' } } },
    want: { metadata: { name: 'p', annotations: { note: 'x' } } },
  },
  {
    name: 'kubectl scale sets spec.replicas',
    original: { metadata: { name: 'web' }, spec: { replicas: 1 }, status: { replicas: 1 } },
    patch: { spec: { replicas: 3 } },
    want: { metadata: { name: 'web' }, spec: { replicas: 3 }, status: { replicas: 1 } },
  },
  {
    name: 'arrays replace whole, even keyed lists',
    original: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } },
    patch: { spec: { containers: [{ name: 'b', image: 'z' }] } },
    want: { spec: { containers: [{ name: 'b', image: 'z' }] } },
  },
  {
    name: 'null deleting a missing key changes nothing',
    original: { metadata: { name: 'p' } },
    patch: { metadata: { labels: null }, spec: null },
    want: { metadata: { name: 'p' } },
  },
  {
    name: 'nulls inside a new object are pruned; null array elements stay',
    original: { metadata: { name: 'p' }, spec: 'scalar' },
    patch: { spec: { a: null, b: { c: null, d: 1 } }, extra: [null, { e: null, f: 2 }] },
    want: { metadata: { name: 'p' }, spec: { b: { d: 1 } }, extra: [null, { f: 2 }] },
  },
  {
    name: 'a scalar replaces an object',
    original: { spec: { template: { a: 1 } } },
    patch: { spec: { template: 'x' } },
    want: { spec: { template: 'x' } },
  },
  {
    name: 'strategic directives are ordinary keys to merge-patch',
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'replace' } } },
    want: { metadata: { labels: { a: '1', $patch: 'replace' } } },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const before = structuredClone(c.original);
    const patchBefore = structuredClone(c.patch);
    t.strictSame(applyMergePatch(c.original, c.patch), c.want);
    t.strictSame(c.original, before, 'original untouched');
    t.strictSame(c.patch, patchBefore, 'patch untouched');
  });
}

t.test('a null or scalar body is 400 "Invalid JSON Patch"', async (t) => {
  for (const patch of [null, 'x', 3, true]) {
    const status = statusOf(() => applyMergePatch({ metadata: { name: 'p' } }, patch));
    t.equal(status?.code, 400, JSON.stringify(patch));
    t.equal(status?.reason, 'BadRequest');
    t.equal(status?.message, 'Invalid JSON Patch');
  }
});

t.test('an array body yields an array, which fails to decode: 422 Invalid on field patch', async (t) => {
  const status = statusOf(() => applyMergePatch({ metadata: { name: 'p' } }, [{ a: null }]));
  t.equal(status?.code, 422);
  t.equal(status?.reason, 'Invalid');
  t.equal(status?.details?.causes?.[0]?.field, 'patch');
  t.match(status?.message, /^ "" is invalid: patch: Invalid value: "\[\{\}\]": .*cannot unmarshal array/);
});
