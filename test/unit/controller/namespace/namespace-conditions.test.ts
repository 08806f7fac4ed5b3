import t from 'tap';
import { namespaceDeletionConditions } from '../../../../pkg/controller/namespace/namespace-conditions.js';

const clean = { estimateSeconds: 0, deletionErrors: [], remaining: new Map<string, number>(), finalizersRemaining: new Map<string, number>() };

t.test('an emptied namespace reports all five conditions False with upstream reasons', async (t) => {
  const got = namespaceDeletionConditions(clean, undefined, 'now');
  t.same(got.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
    ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
    ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
    ['NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
    ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
  ]);
});

t.test('remaining content and finalizers are listed, sorted, as upstream words them', async (t) => {
  const got = namespaceDeletionConditions({
    ...clean, estimateSeconds: 15,
    remaining: new Map([['pods.', 2], ['deployments.apps', 1]]),
    finalizersRemaining: new Map([['example.com/x', 1]]),
  }, undefined, 'now');
  t.same(got[3], { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances', lastTransitionTime: 'now' });
  t.same(got[4], { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances', lastTransitionTime: 'now' });
  const failed = namespaceDeletionConditions({ ...clean, deletionErrors: ['configmaps: boom'] }, undefined, 'now');
  t.same(failed[2]?.reason, 'ContentDeletionFailed');
  t.same(failed[2]?.message, 'Failed to delete all resource types, 1 remaining: configmaps: boom');
});

t.test('an unchanged condition keeps its lastTransitionTime', async (t) => {
  const first = namespaceDeletionConditions({ ...clean, remaining: new Map([['pods.', 1]]) }, undefined, 't1');
  const second = namespaceDeletionConditions(clean, first, 't2');
  t.equal(second[0]?.lastTransitionTime, 't1');
  t.equal(second[3]?.lastTransitionTime, 't2', 'ContentRemaining flipped');
});
