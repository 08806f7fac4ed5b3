import t from 'tap';
import { equalIgnoreHash, findNewReplicaSet } from '../../../../pkg/controller/deployment/deployment-util.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } };

t.test('templates equal apart from pod-template-hash are equal', async (t) => {
  t.ok(equalIgnoreHash(template, { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } }));
  t.notOk(equalIgnoreHash(template, { ...template, spec: { containers: [{ name: 'web', image: 'busybox:latest' }] } }));
});

t.test('a null creationTimestamp (as kubectl rollout undo sends it) is the zero value', async (t) => {
  const undone = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: template.spec } as never;
  t.ok(equalIgnoreHash(template, undone));
  const old: ReplicaSet = { metadata: { name: 'web-1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { selector: {}, template: { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': '1' } } } } };
  const d: Deployment = { metadata: { name: 'web' }, spec: { selector: {}, template: undone } };
  t.equal(findNewReplicaSet(d, [old])?.metadata?.name, 'web-1', 'rollback reuses the old ReplicaSet');
});
