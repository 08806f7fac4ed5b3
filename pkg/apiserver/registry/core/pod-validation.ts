// ValidatePodSpec and ValidatePodTemplateSpec (pkg/apis/core/validation): the checks the
// JSON schema cannot express, with upstream's field paths and wording.
import type { Container, PodSpec, PodTemplateSpec, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../../../api/errors.js';
import { labelKeyErrors } from '../../../api/labels.js';
import { milliValue, validQuantity } from '../../../api/quantity.js';
import { notFound } from '../go-syntax.js';
import {
  dns1123LabelErrors, dns1123SubdomainErrors, validateAnnotations, validateLabels,
} from '../object-meta-validation.js';
import { volumeSources } from './pod-defaults.js';

export function portNumErrors(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** validation.IsValidPortName. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_VAR_MSG = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function nonNegative(path: string, v: number | undefined): FieldError[] {
  return v !== undefined && v < 0 ? [field.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

function quantityString(q: string | number): string {
  return typeof q === 'number' ? String(q) : q;
}

function validateResources(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  for (const [kind, list] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(list)) {
      const p = `${path}.${kind}[${name}]`;
      if (!validQuantity(q)) continue; // the schema reports unparsable quantities
      if (milliValue(q) < 0) errs.push(field.invalid(p, quantityString(q), 'must be greater than or equal to 0'));
    }
  }
  for (const [name, req] of Object.entries(requests)) {
    const lim = limits[name];
    if (lim === undefined || !validQuantity(req) || !validQuantity(lim)) continue;
    if (milliValue(req) > milliValue(lim)) {
      errs.push(field.invalid(`${path}.requests[${name}]`, quantityString(req),
        `must be less than or equal to ${name} limit of ${quantityString(lim)}`));
    }
  }
  return errs;
}

function validateContainer(c: Container, path: string, volumes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.image) errs.push(field.required(`${path}.image`));
  if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(field.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    if (p.name) {
      const msgs = portNameErrors(p.name);
      if (msgs.length) for (const m of msgs) errs.push(field.invalid(`${pp}.name`, p.name, m));
      else if (portNames.has(p.name)) errs.push(field.duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
    }
    if (!p.containerPort) errs.push(field.required(`${pp}.containerPort`));
    else for (const m of portNumErrors(p.containerPort)) errs.push(field.invalid(`${pp}.containerPort`, p.containerPort, m));
    if (p.hostPort) for (const m of portNumErrors(p.hostPort)) errs.push(field.invalid(`${pp}.hostPort`, p.hostPort, m));
    if (!p.protocol) errs.push(field.required(`${pp}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
  });
  (c.env ?? []).forEach((e, i) => {
    const ep = `${path}.env[${i}].name`;
    if (!e.name) errs.push(field.required(ep));
    else if (!ENV_VAR_NAME.test(e.name)) errs.push(field.invalid(ep, e.name, ENV_VAR_MSG));
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push(field.required(`${mp}.name`));
    if (!volumes.has(m.name)) errs.push(notFound(`${mp}.name`, m.name));
    if (!m.mountPath) errs.push(field.required(`${mp}.mountPath`));
    else if (mountPaths.has(m.mountPath)) errs.push(field.invalid(`${mp}.mountPath`, m.mountPath, 'must be unique'));
    if (m.mountPath) mountPaths.add(m.mountPath);
  });
  errs.push(...validateResources(c, `${path}.resources`));
  return errs;
}

function validateVolumes(volumes: Volume[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const vp = `${path}[${i}]`;
    const sources = volumeSources(v);
    if (sources.length === 0) errs.push(field.required(vp, 'must specify a volume type'));
    for (const extra of sources.slice(1)) errs.push(field.forbidden(`${vp}.${extra}`, 'may not specify more than 1 volume type'));
    if (!v.name) errs.push(field.required(`${vp}.name`));
    else for (const m of dns1123LabelErrors(v.name)) errs.push(field.invalid(`${vp}.name`, v.name, m));
    if (names.has(v.name)) errs.push(field.duplicate(`${vp}.name`, v.name));
    names.add(v.name);
  });
  return errs;
}

function validateTolerations(tolerations: Toleration[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const tp = `${path}[${i}]`;
    if (t.key) for (const m of labelKeyErrors(t.key)) errs.push(field.invalid(`${tp}.key`, t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(field.invalid(`${tp}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(field.invalid(`${tp}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator === 'Exists' && t.value) {
      errs.push(field.invalid(`${tp}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    } else if (t.operator && !TOLERATION_OPERATORS.includes(t.operator)) {
      errs.push(field.notSupported(`${tp}.operator`, t.operator, TOLERATION_OPERATORS));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(field.notSupported(`${tp}.effect`, t.effect, TAINT_EFFECTS));
  });
  return errs;
}

export function validateRestartPolicy(policy: string | undefined, path: string): FieldError[] {
  if (!policy) return [field.required(path)];
  return RESTART_POLICIES.includes(policy) ? [] : [field.notSupported(path, policy, RESTART_POLICIES)];
}

export function validatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = spec?.volumes ?? [];
  errs.push(...validateVolumes(volumes, `${path}.volumes`));
  const volumeNames = new Set(volumes.map((v) => v.name));
  const containerNames = new Set<string>();
  const hostPorts = new Set<string>();
  const checkContainers = (list: Container[], p: string) => list.forEach((c, i) => {
    const cp = `${p}[${i}]`;
    if (!c.name) errs.push(field.required(`${cp}.name`));
    else {
      for (const m of dns1123LabelErrors(c.name)) errs.push(field.invalid(`${cp}.name`, c.name, m));
      if (containerNames.has(c.name)) errs.push(field.duplicate(`${cp}.name`, c.name));
      containerNames.add(c.name);
    }
    errs.push(...validateContainer(c, cp, volumeNames));
    (c.ports ?? []).forEach((port, j) => {
      if (!port.hostPort) return;
      const key = `${port.hostPort}/${port.protocol ?? 'TCP'}`;
      if (hostPorts.has(key)) errs.push(field.duplicate(`${cp}.ports[${j}].hostPort`, key));
      hostPorts.add(key);
    });
  });
  checkContainers(spec?.initContainers ?? [], `${path}.initContainers`);
  const containers = spec?.containers ?? [];
  if (containers.length === 0) errs.push(field.required(`${path}.containers`));
  checkContainers(containers, `${path}.containers`);
  errs.push(...validateRestartPolicy(spec?.restartPolicy, `${path}.restartPolicy`));
  if (!spec?.dnsPolicy) errs.push(field.required(`${path}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(field.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec?.dnsPolicy === 'None' && !spec.dnsConfig) {
    errs.push(field.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  errs.push(...validateLabels(spec?.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validateTolerations(spec?.tolerations ?? [], `${path}.tolerations`));
  errs.push(...nonNegative(`${path}.terminationGracePeriodSeconds`, spec?.terminationGracePeriodSeconds ?? undefined));
  const ads = spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads <= 0) errs.push(field.invalid(`${path}.activeDeadlineSeconds`, ads, 'must be between 1 and 2147483647, inclusive'));
  for (const [p, v] of [['serviceAccountName', spec?.serviceAccountName], ['nodeName', spec?.nodeName]] as const) {
    if (v) for (const m of dns1123SubdomainErrors(v)) errs.push(field.invalid(`${path}.${p}`, v, m));
  }
  if (spec?.hostname) for (const m of dns1123LabelErrors(spec.hostname)) errs.push(field.invalid(`${path}.hostname`, spec.hostname, m));
  if (spec?.subdomain) for (const m of dns1123LabelErrors(spec.subdomain)) errs.push(field.invalid(`${path}.subdomain`, spec.subdomain, m));
  return errs;
}

/** ValidatePodTemplateSpec: template labels and annotations, then the spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t) return [field.required(path)];
  return [
    ...validateLabels(t.metadata?.labels, `${path}.metadata.labels`),
    ...validateAnnotations(t.metadata?.annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`),
  ];
}
