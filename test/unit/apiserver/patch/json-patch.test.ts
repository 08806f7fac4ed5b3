import t from 'tap';
import { applyJsonPatch, maxJsonPatchOperations } from '../../../../pkg/apiserver/patch/json-patch.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { statusOf } from './status-of.js';

const deployment = (): KubeObject => ({
  metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' }, labels: { app: 'web' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } },
});

interface Case { name: string; original: KubeObject; patch: unknown; want: KubeObject }

const cases: Case[] = [
  {
    name: 'kubectl rollout undo replaces the pod template and the annotations',
    original: deployment(),
    patch: [
      { op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
    ],
    want: {
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '1' }, labels: { app: 'web' } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
    },
  },
  {
    name: 'add, remove, copy, move and a passing test apply in order',
    original: { metadata: { name: 'a', labels: { x: '1' } }, spec: { list: [1, 2] } },
    patch: [
      { op: 'test', path: '/metadata/name', value: 'a' },
      { op: 'add', path: '/spec/list/-', value: 3 },
      { op: 'add', path: '/spec/list/0', value: 0 },
      { op: 'copy', from: '/metadata/labels/x', path: '/metadata/labels/y' },
      { op: 'move', from: '/metadata/labels/x', path: '/metadata/labels/z' },
      { op: 'remove', path: '/spec/list/1' },
      { op: 'add', path: '/metadata/labels/a~1b', value: 'slash' },
    ],
    want: { metadata: { name: 'a', labels: { y: '1', z: '1', 'a/b': 'slash' } }, spec: { list: [0, 2, 3] } },
  },
  {
    name: 'a JSON null body is an empty patch',
    original: deployment(),
    patch: null,
    want: deployment(),
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const before = structuredClone(c.original);
    t.strictSame(applyJsonPatch(c.original, c.patch), c.want);
    t.strictSame(c.original, before, 'original untouched');
  });
}

interface ErrorCase { name: string; patch: unknown; code: number; reason: string; message: string; cause?: string }

const unprocessable = 'the server rejected our request due to an error in our request';
const errorCases: ErrorCase[] = [
  {
    name: 'a body that is not an array is 400 BadRequest', patch: { op: 'add', path: '/x', value: 1 },
    code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
  },
  {
    name: 'an operation that is not an object is 400 BadRequest', patch: ['add'],
    code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
  },
  {
    name: 'a failing test op is 422 with the library message as cause',
    patch: [{ op: 'test', path: '/metadata/name', value: 'other' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'testing value /metadata/name failed: test failed',
  },
  {
    name: 'replace of a missing key is 422',
    patch: [{ op: 'replace', path: '/spec/paused', value: true }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'replace operation does not apply: doc is missing key: /spec/paused: missing value',
  },
  {
    name: 'replace under a missing parent is 422',
    patch: [{ op: 'replace', path: '/spec/strategy/type', value: 'Recreate' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'replace operation does not apply: doc is missing path: /spec/strategy/type: missing value',
  },
  {
    name: 'add under a missing parent is 422',
    patch: [{ op: 'add', path: '/spec/strategy/type', value: 'Recreate' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'add operation does not apply: doc is missing path: "/spec/strategy/type": missing value',
  },
  {
    name: 'remove of a missing key is 422',
    patch: [{ op: 'remove', path: '/metadata/labels/nope' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: "error in remove for path: '/metadata/labels/nope': unable to remove nonexistent key: nope: missing value",
  },
  {
    name: 'move from a missing path is 422',
    patch: [{ op: 'move', from: '/metadata/nope', path: '/metadata/x' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'move operation does not apply: doc is missing from path: /metadata/nope: missing value',
  },
  {
    name: 'an unknown op is 422 Unexpected kind',
    patch: [{ op: 'bogus', path: '/x' }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'Unexpected kind: bogus',
  },
  {
    name: 'an op without "op" is 422 Unexpected kind: unknown',
    patch: [{ path: '/x', value: 1 }],
    code: 422, reason: 'Invalid', message: unprocessable, cause: 'Unexpected kind: unknown',
  },
  {
    name: 'a patch whose result is not an object is 422 Invalid on field patch',
    patch: [{ op: 'replace', path: '', value: 'x' }],
    code: 422, reason: 'Invalid',
    message: ' "" is invalid: patch: Invalid value: "\\"x\\"": couldn\'t get version/kind; json parse error: json: cannot unmarshal string into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
  },
];

for (const c of errorCases) {
  t.test(c.name, async (t) => {
    const original = deployment();
    const status = statusOf(() => applyJsonPatch(original, c.patch));
    t.equal(status?.code, c.code);
    t.equal(status?.reason, c.reason);
    t.equal(status?.message, c.message);
    if (c.cause !== undefined) t.strictSame(status?.details?.causes, [{ reason: 'UnexpectedServerResponse', message: c.cause }]);
    t.strictSame(original, deployment(), 'original untouched');
  });
}

t.test('a failing op after a successful one leaves nothing applied', async (t) => {
  const original = deployment();
  const status = statusOf(() => applyJsonPatch(original, [
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'test', path: '/spec/replicas', value: 1 },
  ]));
  t.equal(status?.code, 422);
  t.equal((original.spec as { replicas: number }).replicas, 1);
});

t.test(`more than ${maxJsonPatchOperations} operations is 413 RequestEntityTooLarge`, async (t) => {
  const ops = Array.from({ length: maxJsonPatchOperations + 1 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' }));
  const status = statusOf(() => applyJsonPatch(deployment(), ops));
  t.equal(status?.code, 413);
  t.equal(status?.reason, 'RequestEntityTooLarge');
  t.equal(status?.message, `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${maxJsonPatchOperations + 1}`);
});

t.test('copies that would double the document again and again stop at the accumulated copy limit', async (t) => {
  const original: KubeObject = { metadata: { name: 'a', annotations: { big: 'x'.repeat(100_000) } } };
  const patch = [{ op: 'add', path: '/spec', value: {} }];
  for (let i = 0; i < 40; i++) patch.push({ op: 'copy', from: '/metadata', path: `/spec/c${i}` } as never);
  const status = statusOf(() => applyJsonPatch(original, patch));
  t.equal(status?.code, 422);
  t.match(status?.details?.causes?.[0]?.message, /^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
});

t.test('operations that nest the document past the depth limit are refused, the depth counted from the path', async (t) => {
  let deep: unknown = {};
  for (let i = 0; i < 499; i++) deep = { a: deep };
  const original: KubeObject = { metadata: { name: 'a' }, spec: {} };
  t.ok(applyJsonPatch(original, [{ op: 'add', path: '/spec/x', value: {} }]), 'shallow adds apply');
  const addDeep = statusOf(() => applyJsonPatch(original, [{ op: 'add', path: '/spec/x', value: deep }]));
  t.equal(addDeep?.code, 422, 'a 500-deep value two levels down is too deep');
  const copies = [{ op: 'add', path: '/spec/x', value: { a: { a: { a: {} } } } }];
  for (let i = 0; i < 200; i++) copies.push({ op: 'copy', from: '/spec/x', path: '/spec/x/a/a/a/a' } as never);
  const copyDeep = statusOf(() => applyJsonPatch(original, copies));
  t.equal(copyDeep?.code, 422, 'copying a value into itself, over and over, stops at the limit');
  t.match(copyDeep?.details?.causes?.[0]?.message, /exceeds the max depth of 500/);
});
