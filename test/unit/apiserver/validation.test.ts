import t from 'tap';
import { SchemaRegistry, type JsonSchema } from '../../../pkg/apiserver/validation.js';
import { describe, markers, upstreamName } from '../../../api-schemas/gen/gen-api-schemas.js';

const reg = SchemaRegistry.load();
const def = (name: string): JsonSchema => {
  const d = reg.definitions[name];
  if (!d) throw new Error(`no definition ${name}`);
  return d;
};
const prop = (name: string, p: string): JsonSchema => {
  const s = def(name).properties?.[p];
  if (!s) throw new Error(`no property ${name}.${p}`);
  return s;
};

t.test('generator helpers', async (t) => {
  t.equal(upstreamName('.k8s.io.api.core.v1.Pod'), 'io.k8s.api.core.v1.Pod');
  t.equal(upstreamName('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta'), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const cases: { name: string; comment: string; want: string }[] = [
    { name: 'markers dropped, lines joined', comment: 'List of volumes.\nMore info: x\n+optional\n+patchMergeKey=name', want: 'List of volumes. More info: x' },
    { name: 'paragraphs kept', comment: 'First.\n\nSecond\nline.', want: 'First.\n\nSecond line.' },
    { name: 'stops at ---', comment: 'Public.\n---\nPrivate.', want: 'Public.' },
    { name: 'TODO dropped', comment: 'Text.\nTODO: later', want: 'Text.' },
  ];
  for (const c of cases) t.equal(describe(c.comment), c.want, c.name);
  const mk = markers('x\n+listType=map\n+listMapKey=a\n+listMapKey=b\n+optional');
  t.same(mk.get('listMapKey'), ['a', 'b']);
  t.same(mk.get('listType'), ['map']);
  t.ok(mk.has('optional'));
});

t.test('definitions carry the patch metadata strategic merge patch needs', async (t) => {
  const cases: { def: string; field: string; key?: string; strategy: string }[] = [
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'containers', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'initContainers', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'ephemeralContainers', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'volumes', key: 'name', strategy: 'merge,retainKeys' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'imagePullSecrets', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'hostAliases', key: 'ip', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'topologySpreadConstraints', key: 'topologyKey', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'schedulingGates', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodSpec', field: 'resourceClaims', key: 'name', strategy: 'merge,retainKeys' },
    { def: 'io.k8s.api.core.v1.Container', field: 'ports', key: 'containerPort', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.Container', field: 'env', key: 'name', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.Container', field: 'volumeMounts', key: 'mountPath', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.Container', field: 'volumeDevices', key: 'devicePath', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodStatus', field: 'conditions', key: 'type', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodStatus', field: 'podIPs', key: 'ip', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.PodStatus', field: 'hostIPs', key: 'ip', strategy: 'merge' },
    { def: 'io.k8s.api.apps.v1.DeploymentSpec', field: 'strategy', strategy: 'retainKeys' },
    { def: 'io.k8s.api.apps.v1.DeploymentStatus', field: 'conditions', key: 'type', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.ServiceSpec', field: 'ports', key: 'port', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.NodeStatus', field: 'addresses', key: 'type', strategy: 'merge' },
    { def: 'io.k8s.api.core.v1.NodeStatus', field: 'conditions', key: 'type', strategy: 'merge' },
    { def: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', field: 'ownerReferences', key: 'uid', strategy: 'merge' },
    { def: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', field: 'finalizers', strategy: 'merge' },
  ];
  for (const c of cases) {
    const p = prop(c.def, c.field);
    t.equal(p['x-kubernetes-patch-strategy'], c.strategy, `${c.def}.${c.field} strategy`);
    t.equal(p['x-kubernetes-patch-merge-key'], c.key, `${c.def}.${c.field} merge key`);
  }
  t.notOk(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-patch-strategy'], 'tolerations are replaced whole');
  t.same(prop('io.k8s.api.core.v1.PodSpec', 'containers')['x-kubernetes-list-map-keys'], ['name']);
  t.equal(prop('io.k8s.api.core.v1.PodSpec', 'containers')['x-kubernetes-list-type'], 'map');
});

t.test('definitions render apimachinery types and kinds as upstream does', async (t) => {
  t.same(def('io.k8s.apimachinery.pkg.api.resource.Quantity').type, 'string');
  t.equal(def('io.k8s.apimachinery.pkg.util.intstr.IntOrString').format, 'int-or-string');
  t.equal(def('io.k8s.apimachinery.pkg.util.intstr.IntOrString')['x-kubernetes-int-or-string'], true);
  t.equal(def('io.k8s.apimachinery.pkg.apis.meta.v1.Time').format, 'date-time');
  t.equal(def('io.k8s.apimachinery.pkg.runtime.RawExtension').type, 'object');
  t.equal(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties?.format, 'byte');
  t.equal(prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').format, 'int32');
  t.same(def('io.k8s.api.core.v1.Container').required, ['name']);
  t.same(def('io.k8s.api.apps.v1.DeploymentSpec').required, ['selector', 'template']);
  t.ok(prop('io.k8s.api.core.v1.Volume', 'hostPath').$ref, 'VolumeSource is inlined into Volume');
  t.ok(prop('io.k8s.api.core.v1.Probe', 'httpGet').$ref, 'ProbeHandler is inlined into Probe');
  t.same(prop('io.k8s.apimachinery.pkg.apis.meta.v1.APIResource', 'verbs').items, { type: 'string' });
  const pod = def('io.k8s.api.core.v1.Pod');
  t.same(pod['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
  t.same(Object.keys(pod.properties ?? {}), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  t.same(def('io.k8s.api.rbac.v1.Role')['x-kubernetes-group-version-kind'], [{ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' }]);
  t.notOk(def('io.k8s.api.core.v1.PodTemplateSpec')['x-kubernetes-group-version-kind'], 'a template is not a kind');
});

t.test('definitionName finds kinds, subresource bodies and DeleteOptions', async (t) => {
  const cases: [string, string, string, string | undefined][] = [
    ['', 'v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
    ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['policy', 'v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['', 'v1', 'Binding', 'io.k8s.api.core.v1.Binding'],
    ['authentication.k8s.io', 'v1', 'TokenRequest', 'io.k8s.api.authentication.v1.TokenRequest'],
    ['', 'v1', 'DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ['apps', 'v1', 'DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler'],
    ['apps', 'v1', 'Pod', undefined],
  ];
  for (const [g, v, k, want] of cases) t.equal(reg.definitionName(g, v, k), want, `${g}/${v} ${k}`);
});

const goodPod = () => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: null },
  spec: {
    containers: [{
      name: 'web', image: 'busybox:1.35', command: ['sleep', '3600'],
      resources: { requests: { cpu: 1, memory: '64Mi' }, limits: { cpu: '500m' } },
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      livenessProbe: { httpGet: { path: '/', port: 'http' } },
      readinessProbe: { tcpSocket: { port: 80 } },
    }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: {},
});

const goodDeployment = () => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3, selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});

t.test('validate accepts valid objects, including numeric and string quantities', async (t) => {
  t.same(reg.validate('', 'v1', 'Pod', goodPod()), []);
  t.same(reg.validate('apps', 'v1', 'Deployment', goodDeployment()), []);
  t.same(reg.validate('autoscaling', 'v1', 'Scale', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 4 } }), []);
  t.same(reg.validate('policy', 'v1', 'Eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' }, deleteOptions: {} }), []);
  t.same(reg.validate('', 'v1', 'DeleteOptions', { propagationPolicy: 'Background', gracePeriodSeconds: 0 }), []);
  t.same(reg.validate('example.com', 'v1', 'Widget', { anything: 1 }), [], 'unknown kinds are not checked here');
});

t.test('validate reports Kubernetes field paths and error types', async (t) => {
  const pod = goodPod() as any;
  pod.spec.containers.push({ image: 'x' });
  pod.spec.containers[0].ports[0].containerPort = '80';
  pod.spec.containers[0].image = 5;
  pod.metadata.labels = 'web';
  pod.metadata.creationTimestamp = 'yesterday';
  const errs = reg.validate('', 'v1', 'Pod', pod);
  const byField = Object.fromEntries(errs.map((e) => [e.field, e]));
  t.equal(byField['spec.containers[1].name']?.type, 'FieldValueRequired');
  t.equal(byField['spec.containers[0].ports[0].containerPort']?.type, 'FieldValueTypeInvalid');
  t.equal(byField['spec.containers[0].ports[0].containerPort']?.message,
    '"string": spec.containers[0].ports[0].containerPort in body must be of type integer: "string"');
  t.equal(byField['spec.containers[0].image']?.type, 'FieldValueTypeInvalid');
  t.equal(byField['metadata.labels']?.type, 'FieldValueTypeInvalid');
  t.equal(byField['metadata.creationTimestamp']?.type, 'FieldValueInvalid');
  t.equal(errs.length, 5, JSON.stringify(errs));

  const dep = goodDeployment() as any;
  delete dep.spec.selector;
  dep.spec.replicas = 'three';
  dep.spec.template.spec.containers[0].env = [{ value: 'x' }];
  dep.spec.template.metadata.labels = { app: 7 };
  const derrs = reg.validate('apps', 'v1', 'Deployment', dep).map((e) => `${e.type} ${e.field}`).sort();
  t.same(derrs, [
    'FieldValueRequired spec.selector',
    'FieldValueRequired spec.template.spec.containers[0].env[0].name',
    'FieldValueTypeInvalid spec.replicas',
    'FieldValueTypeInvalid spec.template.metadata.labels[app]',
  ]);
  const big = goodDeployment() as any;
  big.spec.replicas = 2 ** 31;
  t.same(reg.validate('apps', 'v1', 'Deployment', big).map((e) => `${e.type} ${e.field}`), ['FieldValueInvalid spec.replicas'], 'int32 overflow');
});

t.test('unknownFields lists fields the schema does not define; prune drops them', async (t) => {
  const pod = goodPod() as any;
  pod.spec.foo = 1;
  pod.spec.containers[0].imagePullPolcy = 'Always';
  pod.spec.volumes[0].emptyDir.bogus = true;
  pod.spec.containers[0].constructor = 'an own field, not the prototype\'s';
  pod.metadata.labels.free = 'labels are a map, never unknown';
  pod.metadata.managedFields = [{ manager: 'x', fieldsV1: { 'f:spec': {} } }];
  pod.extra = { a: 1 };
  t.same(reg.unknownFields('', 'v1', 'Pod', pod).sort(),
    ['extra', 'spec.containers[0].constructor', 'spec.containers[0].imagePullPolcy', 'spec.foo', 'spec.volumes[0].emptyDir.bogus']);
  reg.prune('', 'v1', 'Pod', pod);
  t.same(reg.unknownFields('', 'v1', 'Pod', pod), []);
  t.notOk('foo' in pod.spec);
  t.equal(pod.metadata.labels.free, 'labels are a map, never unknown');
  t.same(pod.metadata.managedFields[0].fieldsV1, { 'f:spec': {} }, 'free-form objects are kept');
  t.same(reg.unknownFields('apps', 'v1', 'Deployment', goodDeployment()), []);
  const extra = goodPod() as any;
  extra.spec.containers[0].imagePullPolcy = 'Always';
  t.same(reg.validate('', 'v1', 'Pod', extra), [], 'unknown fields are not schema errors: unknownFields reports them');
  extra.spec.containers[0].image = 5;
  t.same(reg.validate('', 'v1', 'Pod', extra).map((e) => e.field), ['spec.containers[0].image'], 'nor do they hide the schema errors beside them');
});

t.test('conforms is true exactly when there is neither an unknown field, nor a null, nor a schema error', async (t) => {
  const noNulls = () => { const p = goodPod() as any; delete p.metadata.creationTimestamp; return p; };
  t.ok(reg.conforms('', 'v1', 'Pod', noNulls()));
  t.notOk(reg.conforms('', 'v1', 'Pod', goodPod()), 'kubectl\'s creationTimestamp: null takes the long way');
  t.ok(reg.conforms('apps', 'v1', 'Deployment', goodDeployment()));
  t.ok(reg.conforms('example.com', 'v1', 'Widget', { anything: 1 }), 'kinds without a schema are not checked here');
  // [case, change, conforms, walk and validate find nothing]
  const cases: [string, (pod: any) => void, boolean, boolean][] = [
    ['map keys are never unknown', (p) => { p.metadata.labels.free = 'x'; p.metadata.annotations = { 'a/b': 'c' }; }, true, true],
    ['free-form objects hold anything', (p) => { p.metadata.managedFields = [{ manager: 'x', fieldsV1: { 'f:spec': { '.': {}, n: null } } }]; }, true, true],
    ['a numeric quantity', (p) => { p.spec.containers[0].resources = { limits: { cpu: 1 } }; }, true, true],
    ['null where Go accepts it', (p) => { p.spec.nodeSelector = null; }, false, true],
    ['an unknown top-level field', (p) => { p.extra = 1; }, false, false],
    ['an unknown field in a list item', (p) => { p.spec.containers[0].imagePullPolcy = 'Always'; }, false, false],
    ['an unknown field in a nested object', (p) => { p.spec.volumes[0].emptyDir.bogus = true; }, false, false],
    ['an own field named like a prototype member', (p) => { p.spec.containers[0].constructor = 'x'; }, false, false],
    ['a wrong type', (p) => { p.spec.containers[0].image = 5; }, false, false],
    ['a missing required field', (p) => { delete p.spec.containers[0].name; }, false, false],
    ['a bad format', (p) => { p.metadata.creationTimestamp = 'yesterday'; }, false, false],
  ];
  for (const [name, change, conforms, clean] of cases) {
    const pod = noNulls();
    change(pod);
    t.equal(reg.conforms('', 'v1', 'Pod', pod), conforms, name);
    t.equal(reg.unknownFields('', 'v1', 'Pod', pod).length === 0 && reg.validate('', 'v1', 'Pod', pod).length === 0, clean, `${name}: the field walk and validate`);
  }
});

t.test('normalizeNulls reads nulls as Go does: fields left out, list items and map values zero', async (t) => {
  const pod = goodPod() as any;
  pod.spec.nodeSelector = { zone: null };
  pod.spec.containers.push(null);
  pod.spec.containers[0].command = ['sleep', null];
  pod.spec.containers[0].ports = null;
  pod.spec.tolerations = [null];
  pod.metadata.managedFields = [{ fieldsV1: { n: null } }];
  pod.spec.bogus = null;
  reg.normalizeNulls('', 'v1', 'Pod', pod);
  t.notOk('creationTimestamp' in pod.metadata);
  t.notOk('ports' in pod.spec.containers[0]);
  t.same(pod.spec.nodeSelector, { zone: '' });
  t.same(pod.spec.containers[1], {});
  t.same(pod.spec.containers[0].command, ['sleep', '']);
  t.same(pod.spec.tolerations, [{}]);
  t.same(pod.metadata.managedFields[0].fieldsV1, { n: null }, 'free-form objects keep their nulls');
  t.equal(pod.spec.bogus, null, 'unknown fields are left for unknownFields');
  t.same(reg.validate('', 'v1', 'Pod', goodPod()), [], 'validate itself forgives nulls');
});

t.test('decodeError words the first field of a JSON type its Go type cannot take as Go does', async (t) => {
  t.equal(reg.decodeError('', 'v1', 'Pod', goodPod()), undefined, 'nulls are taken');
  const pod = goodPod() as any;
  pod.spec.containers[0].env = [{ name: 'A', value: 1 }];
  t.equal(reg.decodeError('', 'v1', 'Pod', pod), 'json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string');
  const missing = goodPod() as any;
  delete missing.spec.containers[0].name;
  t.equal(reg.decodeError('', 'v1', 'Pod', missing), undefined, 'a missing field is validation\'s to report');
});
