import t from 'tap';
import { nowRfc3339, parseBool, objectKey, splitKey } from '../../../pkg/api/meta.js';
import { errors } from '../../../pkg/api/errors.js';

t.test('parseBool accepts what Go strconv.ParseBool accepts', async (t) => {
  t.equal(parseBool('True'), true);
  t.equal(parseBool('1'), true);
  t.equal(parseBool('F'), false);
  t.equal(parseBool('yes'), undefined);
});

t.test('object keys are namespace/name', async (t) => {
  t.equal(objectKey({ metadata: { namespace: 'a', name: 'b' } }), 'a/b');
  t.equal(objectKey({ metadata: { name: 'n1' } }), 'n1');
  t.same(splitKey('a/b'), { namespace: 'a', name: 'b' });
});

t.test('notFound has Kubernetes message shape', async (t) => {
  const e = errors.notFound({ group: 'apps', resource: 'deployments' }, 'x');
  t.equal(e.status.message, 'deployments.apps "x" not found');
  t.equal(e.code, 404);
});

t.test('forbidden leaves out an empty name, as Kubernetes words it', async (t) => {
  t.equal(errors.forbidden({ group: '', resource: 'configmaps' }, '', 'because').status.message, 'configmaps is forbidden: because');
  t.equal(errors.forbidden({ group: '', resource: 'namespaces' }, 'default', 'this namespace may not be deleted').status.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
});

t.test('nowRfc3339 is the current second, also when it formats once per second', async (t) => {
  t.equal(nowRfc3339(new Date('2026-11-23T18:01:02.345Z')), '2026-11-23T18:01:02Z');
  for (let i = 0; i < 3; i++) {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const now = Date.parse(nowRfc3339());
    const after = Math.floor(Date.now() / 1000) * 1000;
    t.ok(now >= before && now <= after, `${new Date(now).toISOString()} is within the second it was asked in`);
    await new Promise((r) => setTimeout(r, 600));
  }
});
