import t from 'tap';
import { isLongRunning, isReadOnly, requestAttributes } from '../../../../pkg/apiserver/flowcontrol/request-attributes.js';

t.test('verbs, scope and long-running requests as upstream RequestInfo sees them', async (t) => {
  const cases: { method: string; url: string; verb: string; namespace?: string; readOnly: boolean; longRunning: boolean }[] = [
    { method: 'GET', url: '/api/v1/namespaces/a/pods', verb: 'list', namespace: 'a', readOnly: true, longRunning: false },
    { method: 'GET', url: '/api/v1/pods?watch=true', verb: 'watch', namespace: '', readOnly: true, longRunning: true },
    { method: 'GET', url: '/api/v1/pods?watch=1&resourceVersion=5', verb: 'watch', readOnly: true, longRunning: true },
    { method: 'GET', url: '/api/v1/pods?watch=false', verb: 'list', readOnly: true, longRunning: false },
    { method: 'GET', url: '/api/v1/namespaces/a/pods/p', verb: 'get', readOnly: true, longRunning: false },
    { method: 'GET', url: '/api/v1/namespaces/a/pods/p/log?follow=true', verb: 'get', readOnly: true, longRunning: true },
    { method: 'POST', url: '/api/v1/namespaces/a/pods/p/exec?command=ls', verb: 'create', readOnly: false, longRunning: true },
    { method: 'POST', url: '/api/v1/namespaces/a/configmaps', verb: 'create', readOnly: false, longRunning: false },
    { method: 'PUT', url: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', verb: 'update', readOnly: false, longRunning: false },
    { method: 'PATCH', url: '/api/v1/nodes/n1/status', verb: 'patch', namespace: '', readOnly: false, longRunning: false },
    { method: 'DELETE', url: '/api/v1/namespaces/a/pods', verb: 'deletecollection', readOnly: false, longRunning: false },
    { method: 'GET', url: '/healthz', verb: 'get', readOnly: true, longRunning: false },
    { method: 'POST', url: '/metrics', verb: 'post', readOnly: false, longRunning: false },
  ];
  for (const c of cases) {
    const a = requestAttributes(c.method, c.url);
    const name = `${c.method} ${c.url}`;
    t.equal(a.verb, c.verb, `${name}: verb`);
    if (c.namespace !== undefined) t.equal(a.namespace, c.namespace, `${name}: namespace`);
    t.equal(isReadOnly(a), c.readOnly, `${name}: read-only`);
    t.equal(isLongRunning(a), c.longRunning, `${name}: long-running`);
  }
  t.same(requestAttributes('GET', '/api/v1/nodes/n1/status'), {
    isResourceRequest: true, verb: 'get', apiGroup: '', resource: 'nodes', subresource: 'status', namespace: '', name: 'n1', path: '/api/v1/nodes/n1/status',
  });
});
