// Services (pkg/registry/core/service/strategy.go, SetDefaults_Service, ValidateService).
// ClusterIP and NodePort allocation are not done yet (README: not supported): they need a
// range allocator shared by every apiserver, which comes with kube-proxy and the service range.
import type { Service } from 'kubernetes-types/core/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { field, type FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/meta.js';
import type { Strategy } from '../../strategy.js';
import { dns1035LabelErrors, dns1123SubdomainErrors, validateLabels, validateObjectMeta } from '../object-meta-validation.js';
import { portNameErrors, portNumErrors } from './pod-validation.js';

type ServiceObject = { -readonly [K in keyof Service]: Service[K] } & KubeObject;

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

function isHeadless(s: ServiceObject): boolean {
  return s.spec?.clusterIP === 'None';
}

function validate(s: ServiceObject): FieldError[] {
  const errs = validateObjectMeta(s.metadata);
  const spec = s.spec;
  if (!spec) return [...errs, field.required('spec')];
  const type = spec.type ?? 'ClusterIP';
  if (!TYPES.includes(type)) errs.push(field.notSupported('spec.type', type, TYPES));
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.push(field.required('spec.externalName'));
    else for (const m of dns1123SubdomainErrors(spec.externalName.replace(/\.$/, ''))) errs.push(field.invalid('spec.externalName', spec.externalName, m));
  } else if ((spec.ports ?? []).length === 0 && !isHeadless(s)) {
    errs.push(field.required('spec.ports'));
  }
  const ports = spec.ports ?? [];
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(field.required(`${pp}.name`));
    if (p.name) {
      for (const m of dns1123LabelErrors15(p.name)) errs.push(field.invalid(`${pp}.name`, p.name, m));
      if (names.has(p.name)) errs.push(field.duplicate(`${pp}.name`, p.name));
      names.add(p.name);
    }
    for (const m of portNumErrors(p.port)) errs.push(field.invalid(`${pp}.port`, p.port, m));
    if (!p.protocol) errs.push(field.required(`${pp}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (seen.has(key)) errs.push(field.duplicate(`${pp}`, { port: p.port, protocol: p.protocol }));
    seen.add(key);
    const tp = p.targetPort;
    if (typeof tp === 'number') for (const m of portNumErrors(tp)) errs.push(field.invalid(`${pp}.targetPort`, tp, m));
    else if (typeof tp === 'string') for (const m of portNameErrors(tp)) errs.push(field.invalid(`${pp}.targetPort`, tp, m));
    if (p.nodePort) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        errs.push(field.forbidden(`${pp}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
      } else if (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
        errs.push(field.invalid(`${pp}.nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      }
    }
  });
  const aff = spec.sessionAffinity;
  if (!aff) errs.push(field.required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(aff)) errs.push(field.notSupported('spec.sessionAffinity', aff, AFFINITIES));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  for (const k of ['externalTrafficPolicy', 'internalTrafficPolicy'] as const) {
    const v = spec[k];
    if (v && !TRAFFIC_POLICIES.includes(v)) errs.push(field.notSupported(`spec.${k}`, v, TRAFFIC_POLICIES));
  }
  if (spec.externalTrafficPolicy && (type === 'ClusterIP' || type === 'ExternalName')) {
    errs.push(field.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  return errs;
}

// Service port names are DNS-1123 labels (ValidateDNS1123Label).
function dns1123LabelErrors15(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 63) errs.push('must be no more than 63 characters');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

export const serviceStrategy = {
  defaults(s) {
    const spec = s.spec ??= {};
    spec.sessionAffinity ||= 'None';
    spec.type ||= 'ClusterIP';
    for (const p of spec.ports ?? []) {
      p.protocol ||= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (spec.sessionAffinity === 'ClientIP') {
      spec.sessionAffinityConfig ??= {};
      spec.sessionAffinityConfig.clientIP ??= {};
      spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ||= 'Cluster';
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
    if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ||= 'Cluster';
  },
  prepareForCreate(s) {
    s.status = {};
    const spec = s.spec ??= {};
    if (spec.type === 'ExternalName') return;
    // Single-stack IPv4 cluster: the REST layer's family defaulting reduces to this.
    spec.ipFamilyPolicy ||= 'SingleStack';
    if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  },
  validate,
  prepareForUpdate(s, old) {
    if (old.status === undefined) delete s.status;
    else s.status = structuredClone(old.status);
    // A client that omits the allocated IPs (e.g. a full replace) keeps them.
    const spec = s.spec ??= {};
    if (spec.type !== 'ExternalName' && old.spec?.type !== 'ExternalName') {
      if (!spec.clusterIP && old.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
      if (!spec.clusterIPs?.length && old.spec?.clusterIPs) spec.clusterIPs = [...old.spec.clusterIPs];
      if (!spec.ipFamilies?.length && old.spec?.ipFamilies) spec.ipFamilies = [...old.spec.ipFamilies];
      if (!spec.ipFamilyPolicy && old.spec?.ipFamilyPolicy) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
      (spec.ports ?? []).forEach((p) => {
        const prev = old.spec?.ports?.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (!p.nodePort && prev?.nodePort && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) p.nodePort = prev.nodePort;
      });
    }
  },
  validateUpdate(s, old) {
    const errs = validate(s);
    const was = old.spec?.clusterIPs ?? [];
    const now = s.spec?.clusterIPs ?? [];
    if (s.spec?.type !== 'ExternalName' && old.spec?.type !== 'ExternalName' && was.length > 0 && !isDeepStrictEqual(was, now)) {
      errs.push(field.invalid('spec.clusterIPs[0]', now, 'may not change once set'));
    }
    return errs;
  },
  prepareForStatusUpdate(s, old) {
    if (old.spec === undefined) delete s.spec;
    else s.spec = structuredClone(old.spec);
  },
} satisfies Strategy<ServiceObject>;
