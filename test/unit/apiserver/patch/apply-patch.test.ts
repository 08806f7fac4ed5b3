import t from 'tap';
import { applyPatch, patchMediaType } from '../../../../pkg/apiserver/patch/apply-patch.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { deploymentSchema } from './test-schema.js';
import { statusOf } from './status-of.js';

const deployment = (): KubeObject => ({
  metadata: { name: 'web' },
  spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } },
});
const containers = (o: KubeObject) => (o.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers;

t.test('the content type picks the patch type', async (t) => {
  const patch = { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } };
  t.strictSame(containers(applyPatch('application/strategic-merge-patch+json', deployment(), patch, deploymentSchema)),
    [{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }], 'strategic merges by name');
  t.strictSame(containers(applyPatch('application/merge-patch+json', deployment(), patch, deploymentSchema)),
    [{ name: 'b', image: 'z' }], 'merge-patch replaces the list');
  t.strictSame(containers(applyPatch('application/json-patch+json', deployment(),
    [{ op: 'remove', path: '/spec/template/spec/containers/0' }], deploymentSchema)),
  [{ name: 'b', image: 'y' }], 'json-patch applies operations');
});

t.test('media type parameters and case are ignored', async (t) => {
  t.equal(patchMediaType('application/merge-patch+json; charset=utf-8'), 'application/merge-patch+json');
  const out = applyPatch('Application/Merge-Patch+JSON; charset=utf-8', deployment(), { spec: { replicas: 2 } }, deploymentSchema);
  t.equal((out.spec as { replicas: number }).replicas, 2);
});

t.test('other content types are 415 UnsupportedMediaType listing the patch types', async (t) => {
  for (const type of ['application/json', 'application/apply-patch+yaml', '']) {
    const status = statusOf(() => applyPatch(type, deployment(), {}, deploymentSchema));
    t.equal(status?.code, 415, type);
    t.equal(status?.reason, 'UnsupportedMediaType');
    t.equal(status?.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
  }
});
