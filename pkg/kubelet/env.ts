// A container's environment as makeEnvironmentVariables (kubelet_pods.go) builds it: envFrom
// sources first, then env in order (values with $(VAR) expansion, fieldRef, resourceFieldRef,
// configMapKeyRef, secretKeyRef). A missing non-optional source is a CreateContainerConfigError.
import type { ConfigMap, Container, EnvVar, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity } from '../api/quantity.js';
import type { DeepReadonly } from '../client/lister.js';
import type { KeyValue } from './runtime/runtime.js';

type ReadonlyPod = Pod | DeepReadonly<Pod>;
type ReadonlyContainer = Container | DeepReadonly<Container>;

/** The container's config cannot be built: its status is Waiting CreateContainerConfigError. */
export class CreateContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateContainerConfigError';
  }
}

export interface EnvSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | DeepReadonly<ConfigMap> | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | DeepReadonly<Secret> | undefined>;
  hostIP: string;
  podIP?: string;
  /** Node allocatable, the default of resourceFieldRef when the container sets no limit. */
  allocatable: Readonly<Record<string, string>>;
}

/** expansion.Expand: $(VAR) from mapping (kept verbatim when undefined), $$ → $. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) { out += ch; continue; }
    const next = input[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) { out += input.slice(i); break; }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
      continue;
    }
    out += ch;
  }
  return out;
}

function decodeSecret(secret: Secret | DeepReadonly<Secret>, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

/** podFieldSelectorRuntimeValue / ExtractFieldPathAsString. */
export function podFieldValue(pod: ReadonlyPod, fieldPath: string, sources: Pick<EnvSources, 'hostIP' | 'podIP'>): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[m[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'metadata.labels': return formatMap(pod.metadata?.labels);
    case 'metadata.annotations': return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': case 'status.hostIPs': return sources.hostIP;
    case 'status.podIP': case 'status.podIPs': return sources.podIP ?? '';
    default: throw new CreateContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  }
}

function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}="${m?.[k] ?? ''}"`).join('\n');
}

/** ExtractContainerResourceValue, with node allocatable standing in for a missing limit. */
export function resourceFieldValue(
  pod: ReadonlyPod, container: ReadonlyContainer,
  ref: { containerName?: string | undefined; resource: string; divisor?: string | undefined },
  allocatable: Readonly<Record<string, string>>,
): string {
  const target = ref.containerName
    ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName)
    : container;
  if (!target) throw new CreateContainerConfigError(`container ${ref.containerName ?? ''} not found`);
  const [kind, resource = ''] = ref.resource.split('.', 2) as [string, string?];
  const limits = target.resources?.limits ?? {};
  const requests = target.resources?.requests ?? {};
  let value: string | undefined = kind === 'limits' ? limits[resource] : requests[resource];
  // Without a limit the node's allocatable is the effective limit (MergeContainerResourceLimits).
  if (kind === 'limits') value ??= allocatable[resource];
  if (value === undefined) value = '0';
  const divisor = ref.divisor ?? '1';
  if (resource === 'cpu') {
    return String(Math.ceil(milliValue(value) / milliValue(divisor === '0' ? '1' : divisor)));
  }
  return String(Math.ceil(parseQuantity(value) / parseQuantity(divisor === '0' ? '1' : divisor)));
}

/** The container's env, in the order Kubernetes resolves it. */
export async function makeEnvironmentVariables(pod: ReadonlyPod, container: ReadonlyContainer, sources: EnvSources): Promise<KeyValue[]> {
  const ns = pod.metadata?.namespace ?? '';
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await sources.getConfigMap(ns, name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new CreateContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(prefix + k, v);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const secret = await sources.getSecret(ns, name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new CreateContainerConfigError(`secret "${name}" not found`);
      }
      for (const k of Object.keys({ ...secret.data, ...secret.stringData })) env.set(prefix + k, decodeSecret(secret, k) ?? '');
    }
  }
  for (const e of (container.env ?? []) as readonly EnvVar[]) {
    const value = await envVarValue(pod, container, e, env, sources);
    if (value !== undefined) env.set(e.name, value);
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

async function envVarValue(
  pod: ReadonlyPod, container: ReadonlyContainer, e: EnvVar, env: Map<string, string>, sources: EnvSources,
): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? '';
  const from = e.valueFrom;
  if (!from) return expand(e.value ?? '', (name) => env.get(name));
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef.fieldPath, sources);
  if (from.resourceFieldRef) return resourceFieldValue(pod, container, from.resourceFieldRef, sources.allocatable);
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = await sources.getConfigMap(ns, name);
    if (!cm) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`configmap "${name}" not found`);
    }
    const v = cm.data?.[key] ?? (cm.binaryData?.[key] !== undefined ? Buffer.from(cm.binaryData[key] ?? '', 'base64').toString('utf8') : undefined);
    if (v === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = await sources.getSecret(ns, name);
    if (!secret) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`secret "${name}" not found`);
    }
    const v = decodeSecret(secret, key);
    if (v === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
    }
    return v;
  }
  return e.value ?? '';
}

/** Command and args with $(VAR) expanded from the container's env (kubecontainer.ExpandContainerCommandAndArgs). */
export function expandCommandAndArgs(container: ReadonlyContainer, env: readonly KeyValue[]): { command?: string[]; args?: string[] } {
  const map = new Map(env.map((e) => [e.name, e.value]));
  const lookup = (name: string) => map.get(name);
  return {
    ...(container.command?.length ? { command: container.command.map((c) => expand(c, lookup)) } : {}),
    ...(container.args?.length ? { args: container.args.map((a) => expand(a, lookup)) } : {}),
  };
}
