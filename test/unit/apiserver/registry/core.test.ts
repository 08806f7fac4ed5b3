import t from 'tap';
import type { FieldError } from '../../../../pkg/api/errors.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { findResource } from '../../../../pkg/api/resources.js';
import { strategyFor } from '../../../../pkg/apiserver/registry/strategies.js';

const messages = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.type}: ${e.message}`);
const s = (group: string, version: string, plural: string) => strategyFor(findResource(group, version, plural)!);

t.test('service defaults and create', async (t) => {
  const svc: KubeObject = { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'https', port: 443, targetPort: 'https' }] } };
  const services = s('', 'v1', 'services');
  services.defaults!(svc);
  services.prepareForCreate!(svc);
  t.match(svc['spec'], {
    type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 443, protocol: 'TCP', targetPort: 'https' }],
  });
  t.same(messages(services.validate!(svc)), ['spec.ports[0].name: FieldValueRequired: ']);
});

t.test('namespace create adds the kubernetes finalizer, Active phase and name label', async (t) => {
  const namespaces = s('', 'v1', 'namespaces');
  const ns: KubeObject = { metadata: { name: 'team-a' } };
  namespaces.defaults!(ns);
  namespaces.prepareForCreate!(ns);
  t.same(ns, { metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  const upd = structuredClone(ns);
  upd['spec'] = { finalizers: [] };
  namespaces.prepareForUpdate!(upd, ns);
  t.same(upd['spec'], { finalizers: ['kubernetes'] }, 'finalizers only change through /finalize');
});

t.test('secret: type default, stringData merged, key and size checks', async (t) => {
  const secrets = s('', 'v1', 'secrets');
  const sec: KubeObject = { metadata: { name: 'x' }, stringData: { user: 'admin' } };
  secrets.defaults!(sec);
  t.same(sec, { metadata: { name: 'x' }, type: 'Opaque', data: { user: Buffer.from('admin').toString('base64') } });
  const bad: KubeObject = { metadata: { name: 'x' }, type: 'Opaque', data: { 'a b': 'eA==' } };
  t.same(messages(secrets.validate!(bad)), [
    `data[a b]: FieldValueInvalid: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ]);
  const big: KubeObject = { metadata: { name: 'x' }, type: 'Opaque', data: { k: Buffer.alloc(1024 * 1024 + 1).toString('base64') } };
  t.same(messages(secrets.validate!(big)), ['data: FieldValueTooLong: must have at most 1048576 bytes']);
});

t.test('configmap: immutable data stays put', async (t) => {
  const configMaps = s('', 'v1', 'configmaps');
  const old: KubeObject = { metadata: { name: 'c' }, immutable: true, data: { a: '1' } };
  const upd: KubeObject = { metadata: { name: 'c' }, immutable: true, data: { a: '2' } };
  t.same(messages(configMaps.validateUpdate!(upd, old)), ['data: FieldValueForbidden: field is immutable when `immutable` is set']);
  t.same(configMaps.validate!({ metadata: { name: 'c', labels: { ok: 'yes' } }, data: { 'a.b_c-d': 'x' } }), []);
});

t.test('generic strategy checks labels and annotations', async (t) => {
  const leases = s('coordination.k8s.io', 'v1', 'leases');
  const errs = leases.validate!({ metadata: { name: 'l', labels: { 'bad key!': 'v' } } });
  t.equal(errs.length, 1);
  t.equal(errs[0]!.field, 'metadata.labels');
});

t.test('priority class defaults and immutable value', async (t) => {
  const pcs = s('scheduling.k8s.io', 'v1', 'priorityclasses');
  const pc: KubeObject = { metadata: { name: 'high' }, value: 1000 };
  pcs.defaults!(pc);
  t.equal(pc['preemptionPolicy'], 'PreemptLowerPriority');
  t.same(messages(pcs.validateUpdate!({ ...pc, value: 5 }, pc)), ['value: FieldValueForbidden: may not be changed in an update.']);
});
