import t from 'tap';
import { fieldSet, validateFieldSelector } from '../../../pkg/apiserver/field-sets.js';
import { parseFieldSelector } from '../../../pkg/api/fields.js';
import { StatusError } from '../../../pkg/api/errors.js';

t.test('field sets per kind', async (t) => {
  const cases: { name: string; input: [string, string, Record<string, unknown>]; want: Record<string, string> }[] = [
    {
      name: 'running pod',
      input: ['', 'pods', {
        metadata: { name: 'web-1', namespace: 'default' },
        spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
        status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] },
      }],
      want: {
        'metadata.name': 'web-1', 'metadata.namespace': 'default', 'spec.nodeName': 'n1', 'spec.host': 'n1',
        'spec.restartPolicy': 'Always', 'spec.schedulerName': 'default-scheduler', 'spec.serviceAccountName': 'default',
        'spec.hostNetwork': 'false', 'status.phase': 'Running', 'status.podIP': '10.0.0.5', 'status.podIPs': '10.0.0.5',
        'status.nominatedNodeName': '',
      },
    },
    {
      name: 'pending pod on host network',
      input: ['', 'pods', { metadata: { name: 'p', namespace: 'kube-system' }, spec: { hostNetwork: true } }],
      want: {
        'metadata.name': 'p', 'metadata.namespace': 'kube-system', 'spec.nodeName': '', 'spec.host': '', 'spec.restartPolicy': '',
        'spec.schedulerName': '', 'spec.serviceAccountName': '', 'spec.hostNetwork': 'true', 'status.phase': '',
        'status.podIP': '', 'status.podIPs': '', 'status.nominatedNodeName': '',
      },
    },
    {
      name: 'event',
      input: ['', 'events', {
        metadata: { name: 'web-1.17a', namespace: 'default' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1', resourceVersion: '42', fieldPath: 'spec.containers{web}' },
        reason: 'Pulled', type: 'Normal', source: { component: 'kubelet', host: 'n1' }, reportingComponent: 'kubelet',
      }],
      want: {
        'metadata.name': 'web-1.17a', 'metadata.namespace': 'default', 'involvedObject.kind': 'Pod', 'involvedObject.namespace': 'default',
        'involvedObject.name': 'web-1', 'involvedObject.uid': 'u1', 'involvedObject.apiVersion': 'v1', 'involvedObject.resourceVersion': '42',
        'involvedObject.fieldPath': 'spec.containers{web}', reason: 'Pulled', reportingComponent: 'kubelet', source: 'kubelet', type: 'Normal',
      },
    },
    {
      name: 'event without source uses reporting controller',
      input: ['', 'events', { metadata: { name: 'e', namespace: 'd' }, reportingComponent: 'deployment-controller' }],
      want: {
        'metadata.name': 'e', 'metadata.namespace': 'd', 'involvedObject.kind': '', 'involvedObject.namespace': '', 'involvedObject.name': '',
        'involvedObject.uid': '', 'involvedObject.apiVersion': '', 'involvedObject.resourceVersion': '', 'involvedObject.fieldPath': '',
        reason: '', reportingComponent: 'deployment-controller', source: 'deployment-controller', type: '',
      },
    },
    { name: 'node', input: ['', 'nodes', { metadata: { name: 'n1' }, spec: { unschedulable: true } }], want: { 'metadata.name': 'n1', 'spec.unschedulable': 'true' } },
    { name: 'namespace', input: ['', 'namespaces', { metadata: { name: 'a' }, status: { phase: 'Active' } }], want: { 'metadata.name': 'a', 'status.phase': 'Active' } },
    { name: 'secret', input: ['', 'secrets', { metadata: { name: 's', namespace: 'd' }, type: 'Opaque' }], want: { 'metadata.name': 's', 'metadata.namespace': 'd', type: 'Opaque' } },
    { name: 'replicaset', input: ['apps', 'replicasets', { metadata: { name: 'r', namespace: 'd' }, status: { replicas: 3 } }], want: { 'metadata.name': 'r', 'metadata.namespace': 'd', 'status.replicas': '3' } },
    { name: 'job', input: ['batch', 'jobs', { metadata: { name: 'j', namespace: 'd' }, status: {} }], want: { 'metadata.name': 'j', 'metadata.namespace': 'd', 'status.successful': '0' } },
    { name: 'configmap', input: ['', 'configmaps', { metadata: { name: 'c', namespace: 'd' } }], want: { 'metadata.name': 'c', 'metadata.namespace': 'd' } },
    { name: 'cluster role', input: ['rbac.authorization.k8s.io', 'clusterroles', { metadata: { name: 'admin' } }], want: { 'metadata.name': 'admin' } },
  ];
  for (const c of cases) t.same(fieldSet(...c.input), c.want, c.name);
});

t.test('a pod field set answers kubelet and drain selectors', async (t) => {
  const fs = fieldSet('', 'pods', { metadata: { name: 'a', namespace: 'd' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
  t.ok(parseFieldSelector('spec.nodeName=n1').matches(fs));
  t.notOk(parseFieldSelector('spec.nodeName=n1,status.phase!=Running').matches(fs));
});

t.test('validateFieldSelector', async (t) => {
  const cases: { name: string; input: [string, string, string]; want: string | undefined }[] = [
    { name: 'pod nodeName', input: ['', 'pods', 'spec.nodeName=n1,status.phase!=Succeeded'], want: undefined },
    { name: 'pod unknown', input: ['', 'pods', 'spec.foo=bar'], want: 'field label not supported: spec.foo' },
    { name: 'event involvedObject', input: ['', 'events', 'involvedObject.name=web,involvedObject.namespace=default'], want: undefined },
    { name: 'node namespace', input: ['', 'nodes', 'metadata.namespace=x'], want: 'field label not supported: metadata.namespace' },
    { name: 'default kinds take metadata', input: ['apps', 'deployments', 'metadata.name=web,metadata.namespace=d'], want: undefined },
    { name: 'default kinds reject others', input: ['apps', 'deployments', 'spec.replicas=1'], want: 'field label not supported: spec.replicas' },
    { name: 'secret type', input: ['', 'secrets', 'type=Opaque'], want: undefined },
  ];
  for (const c of cases) {
    const [group, plural, sel] = c.input;
    if (c.want === undefined) {
      t.doesNotThrow(() => validateFieldSelector(group, plural, parseFieldSelector(sel)), c.name);
      continue;
    }
    const err = t.throws(() => validateFieldSelector(group, plural, parseFieldSelector(sel)), c.name) as unknown;
    t.ok(err instanceof StatusError && err.code === 400 && err.reason === 'BadRequest', `${c.name}: 400 BadRequest`);
    t.equal((err as Error).message, c.want, c.name);
  }
});
