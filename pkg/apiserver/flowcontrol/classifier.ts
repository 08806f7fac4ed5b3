// Which FlowSchema a request falls in, and so its priority level and flow: upstream's
// apf_controller match over FlowSchemas in matchingPrecedence order, with rule.go's matching.
import type {
  FlowSchema, NonResourcePolicyRule, PolicyRulesWithSubjects, ResourcePolicyRule, Subject,
} from 'kubernetes-types/flowcontrol/v1.js';
import type { UserInfo } from '../authentication/user.js';
import type { RequestAttributes } from './request-attributes.js';

export interface Classification {
  flowSchema: FlowSchema;
  priorityLevelName: string;
  /** The flow within the priority level: the schema's name plus the distinguisher's value. */
  flowDistinguisher: string;
}

/** Schemas in the order they are tried: lowest matchingPrecedence first, then by name. */
export function sortFlowSchemas(schemas: readonly FlowSchema[]): FlowSchema[] {
  return [...schemas].sort((a, b) => precedence(a) - precedence(b) || compareNames(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

function precedence(fs: FlowSchema): number {
  // The API defaults an unset matchingPrecedence to 1000.
  return fs.spec?.matchingPrecedence ?? 1000;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The first schema (of `sorted`, see sortFlowSchemas) that matches and whose priority level
 * exists; undefined when none does (upstream then uses catch-all, which a mandatory schema
 * guarantees to match).
 */
export function classify(attrs: RequestAttributes, user: UserInfo, sorted: readonly FlowSchema[], hasPriorityLevel: (name: string) => boolean): Classification | undefined {
  for (const fs of sorted) {
    const plName = fs.spec?.priorityLevelConfiguration.name ?? '';
    if (!hasPriorityLevel(plName)) continue;  // dangling: upstream skips it
    if (!(fs.spec?.rules ?? []).some((rule) => matchesPolicyRule(attrs, user, rule))) continue;
    return { flowSchema: fs, priorityLevelName: plName, flowDistinguisher: flowDistinguisher(fs, attrs, user) };
  }
  return undefined;
}

function flowDistinguisher(fs: FlowSchema, attrs: RequestAttributes, user: UserInfo): string {
  switch (fs.spec?.distinguisherMethod?.type) {
    case 'ByUser': return user.name;
    case 'ByNamespace': return attrs.namespace;
    default: return '';
  }
}

export function matchesPolicyRule(attrs: RequestAttributes, user: UserInfo, rule: PolicyRulesWithSubjects): boolean {
  if (!rule.subjects.some((s) => matchesSubject(user, s))) return false;
  return attrs.isResourceRequest
    ? (rule.resourceRules ?? []).some((r) => matchesResourceRule(attrs, r))
    : (rule.nonResourceRules ?? []).some((r) => matchesNonResourceRule(attrs, r));
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export function matchesSubject(user: UserInfo, subject: Subject): boolean {
  switch (subject.kind) {
    case 'User': return !!subject.user && (subject.user.name === '*' || subject.user.name === user.name);
    case 'Group': return !!subject.group && (subject.group.name === '*' || user.groups.includes(subject.group.name));
    case 'ServiceAccount': {
      const sa = subject.serviceAccount;
      if (!sa || !user.name.startsWith(SERVICE_ACCOUNT_PREFIX)) return false;
      const [namespace, name, ...rest] = user.name.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
      if (rest.length || namespace !== sa.namespace || name === undefined) return false;
      return sa.name === '*' || sa.name === name;
    }
    default: return false;
  }
}

function matchesResourceRule(attrs: RequestAttributes, rule: ResourcePolicyRule): boolean {
  if (!containsOrAll(rule.verbs, attrs.verb)) return false;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  if (!containsOrAll(rule.resources, resource)) return false;
  if (!containsOrAll(rule.apiGroups, attrs.apiGroup)) return false;
  if (attrs.namespace === '') return rule.clusterScope === true;
  return containsOrAll(rule.namespaces ?? [], attrs.namespace);
}

function matchesNonResourceRule(attrs: RequestAttributes, rule: NonResourcePolicyRule): boolean {
  if (!containsOrAll(rule.verbs, attrs.verb)) return false;
  return rule.nonResourceURLs.some((pattern) => {
    if (pattern === '*' || pattern === attrs.path) return true;
    // "/apis/*" (and, as upstream treats it, "/apis") covers everything below /apis/.
    let prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
    if (!prefix.endsWith('/')) prefix += '/';
    return attrs.path.startsWith(prefix);
  });
}

/** Validation allows the wildcard only as the list's single member: then it matches everything. */
function containsOrAll(list: readonly string[], value: string): boolean {
  if (list.length === 1 && list[0] === '*') return true;
  return list.includes(value);
}
