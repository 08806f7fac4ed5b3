import t from 'tap';
import { parseBool, objectKey, splitKey } from '../../../pkg/api/meta.js';
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
