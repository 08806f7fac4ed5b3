import t from 'tap';
import type { FlowSchema, PolicyRulesWithSubjects, Subject } from 'kubernetes-types/flowcontrol/v1.js';
import { classify, matchesPolicyRule, matchesSubject, sortFlowSchemas } from '../../../../pkg/apiserver/flowcontrol/classifier.js';
import { requestAttributes } from '../../../../pkg/apiserver/flowcontrol/request-attributes.js';
import type { UserInfo } from '../../../../pkg/apiserver/authentication/user.js';

const node: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const alice: UserInfo = { name: 'alice', groups: ['system:authenticated'] };
const sa: UserInfo = { name: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] };

t.test('subjects match users, groups and service accounts, with *', async (t) => {
  const cases: { name: string; user: UserInfo; subject: Subject; want: boolean }[] = [
    { name: 'user by name', user: alice, subject: { kind: 'User', user: { name: 'alice' } }, want: true },
    { name: 'other user', user: node, subject: { kind: 'User', user: { name: 'alice' } }, want: false },
    { name: 'any user', user: node, subject: { kind: 'User', user: { name: '*' } }, want: true },
    { name: 'group member', user: node, subject: { kind: 'Group', group: { name: 'system:nodes' } }, want: true },
    { name: 'not a member', user: alice, subject: { kind: 'Group', group: { name: 'system:nodes' } }, want: false },
    { name: 'any group', user: alice, subject: { kind: 'Group', group: { name: '*' } }, want: true },
    { name: 'service account by name', user: sa, subject: { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: 'replicaset-controller' } }, want: true },
    { name: 'service account, any name in namespace', user: sa, subject: { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: '*' } }, want: true },
    { name: 'service account of another namespace', user: sa, subject: { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube', name: '*' } }, want: false },
    { name: 'a user that is not a service account', user: alice, subject: { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: '*' } }, want: false },
    { name: 'kind without its member', user: alice, subject: { kind: 'User' }, want: false },
  ];
  for (const c of cases) t.equal(matchesSubject(c.user, c.subject), c.want, c.name);
});

t.test('resource and non-resource rules match verbs, groups, resources, scope and paths', async (t) => {
  const everyone: Subject[] = [{ kind: 'Group', group: { name: '*' } }];
  const leases: PolicyRulesWithSubjects = { subjects: everyone, resourceRules: [{ verbs: ['get', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['kube-node-lease'] }] };
  const nodes: PolicyRulesWithSubjects = { subjects: everyone, resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['nodes', 'nodes/status'], clusterScope: true }] };
  const anyNs: PolicyRulesWithSubjects = { subjects: everyone, resourceRules: [{ verbs: ['*'], apiGroups: [''], resources: ['pods'], namespaces: ['*'] }] };
  const health: PolicyRulesWithSubjects = { subjects: everyone, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/apis/*'] }] };
  const cases: { name: string; method: string; url: string; rule: PolicyRulesWithSubjects; want: boolean }[] = [
    { name: 'lease update in its namespace', method: 'PUT', url: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', rule: leases, want: true },
    { name: 'lease in another namespace', method: 'PUT', url: '/apis/coordination.k8s.io/v1/namespaces/default/leases/n1', rule: leases, want: false },
    { name: 'lease delete: verb not listed', method: 'DELETE', url: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', rule: leases, want: false },
    { name: 'lease list across namespaces is cluster scope', method: 'GET', url: '/apis/coordination.k8s.io/v1/leases', rule: leases, want: false },
    { name: 'node status subresource', method: 'PATCH', url: '/api/v1/nodes/n1/status', rule: nodes, want: true },
    { name: 'node proxy subresource not listed', method: 'GET', url: '/api/v1/nodes/n1/proxy', rule: nodes, want: false },
    { name: 'pods in any namespace', method: 'POST', url: '/api/v1/namespaces/x/pods', rule: anyNs, want: true },
    { name: 'namespaces: * does not cover cluster scope', method: 'GET', url: '/api/v1/pods', rule: anyNs, want: false },
    { name: 'pods of another group', method: 'GET', url: '/apis/apps/v1/namespaces/x/deployments', rule: anyNs, want: false },
    { name: 'exact path', method: 'GET', url: '/healthz', rule: health, want: true },
    { name: 'path below a /* pattern', method: 'GET', url: '/apis/apps', rule: health, want: true },
    { name: 'other path', method: 'GET', url: '/metrics', rule: health, want: false },
    { name: 'non-resource verb', method: 'POST', url: '/healthz', rule: health, want: false },
    { name: 'resource request against non-resource rules', method: 'GET', url: '/api/v1/namespaces/x/pods', rule: health, want: false },
  ];
  for (const c of cases) t.equal(matchesPolicyRule(requestAttributes(c.method, c.url), alice, c.rule), c.want, c.name);
});

function schema(name: string, precedence: number, pl: string, rule: PolicyRulesWithSubjects, distinguisher?: string): FlowSchema {
  return { kind: 'FlowSchema', metadata: { name }, spec: { matchingPrecedence: precedence, priorityLevelConfiguration: { name: pl }, rules: [rule], ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}) } };
}

t.test('the first matching schema by precedence then name decides the level and the flow', async (t) => {
  const all = { verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true };
  const schemas = sortFlowSchemas([
    schema('global-default', 9900, 'global-default', { subjects: [{ kind: 'Group', group: { name: 'system:authenticated' } }], resourceRules: [all] }, 'ByUser'),
    schema('system-nodes', 500, 'node-high', { subjects: [{ kind: 'Group', group: { name: 'system:nodes' } }], resourceRules: [all] }, 'ByUser'),
    schema('b-namespaced', 1000, 'workload-low', { subjects: [{ kind: 'User', user: { name: 'alice' } }], resourceRules: [all] }, 'ByNamespace'),
    schema('a-dangling', 1000, 'no-such-level', { subjects: [{ kind: 'User', user: { name: 'alice' } }], resourceRules: [all] }),
    schema('a-unnamed-flow', 1000, 'workload-low', { subjects: [{ kind: 'User', user: { name: 'alice' } }], resourceRules: [all] }),
  ]);
  t.same(schemas.map((s) => s.metadata?.name), ['system-nodes', 'a-dangling', 'a-unnamed-flow', 'b-namespaced', 'global-default']);
  const levels = new Set(['global-default', 'node-high', 'workload-low']);
  const has = (n: string) => levels.has(n);
  const pods = requestAttributes('GET', '/api/v1/namespaces/team-a/pods');

  const forNode = classify(pods, node, schemas, has);
  t.equal(forNode?.flowSchema.metadata?.name, 'system-nodes');
  t.equal(forNode?.priorityLevelName, 'node-high');
  t.equal(forNode?.flowDistinguisher, 'system:node:n1', 'ByUser');

  const forAlice = classify(pods, alice, schemas, has);
  t.equal(forAlice?.flowSchema.metadata?.name, 'a-unnamed-flow', 'the dangling schema is skipped; names break the tie');
  t.equal(forAlice?.flowDistinguisher, '');

  const bob: UserInfo = { name: 'bob', groups: ['system:authenticated'] };
  t.equal(classify(pods, bob, schemas, has)?.flowSchema.metadata?.name, 'global-default');
  t.equal(classify(pods, { name: 'anon', groups: [] }, schemas, has), undefined, 'nothing matches');

  const byNs = classify(pods, alice, schemas.filter((s) => s.metadata?.name === 'b-namespaced'), has);
  t.equal(byNs?.flowDistinguisher, 'team-a', 'ByNamespace');
});
