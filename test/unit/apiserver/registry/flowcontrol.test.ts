// flowcontrol.apiserver.k8s.io validation as upstream's ValidateFlowSchema and
// ValidatePriorityLevelConfiguration (pkg/apis/flowcontrol/validation), and the bootstrap objects.
import t from 'tap';
import { flowSchemaStrategy, validateFlowSchema, nonResourceURLError, type FlowSchemaObject } from '../../../../pkg/apiserver/registry/flowcontrol/flow-schema.js';
import {
  priorityLevelConfigurationStrategy, validatePriorityLevelConfiguration, type PriorityLevelConfigurationObject,
} from '../../../../pkg/apiserver/registry/flowcontrol/priority-level-configuration.js';
import { BOOTSTRAP_FLOW_SCHEMAS, BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS, AUTO_UPDATE_ANNOTATION } from '../../../../pkg/apiserver/flowcontrol/bootstrap-configuration.js';

const fs = (name: string, spec: Record<string, unknown>): FlowSchemaObject =>
  ({ apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name }, spec }) as unknown as FlowSchemaObject;
const pl = (name: string, spec: Record<string, unknown>): PriorityLevelConfigurationObject =>
  ({ apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name }, spec }) as unknown as PriorityLevelConfigurationObject;
const fields = (errs: { field: string }[]) => errs.map((e) => e.field);
const allRule = { subjects: [{ kind: 'Group', group: { name: 'g' } }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] };

t.test('ValidateFlowSchema', async (t) => {
  const cases: { name: string; obj: FlowSchemaObject; want: string[] }[] = [
    { name: 'valid', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 50, rules: [allRule] }), want: [] },
    { name: 'matchingPrecedence above 10000', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 10001 }), want: ['spec.matchingPrecedence'] },
    { name: 'matchingPrecedence 1 only for exempt', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 1 }), want: ['spec.matchingPrecedence'] },
    { name: 'priority level name required', obj: fs('a', { priorityLevelConfiguration: { name: '' }, matchingPrecedence: 5 }), want: ['spec.priorityLevelConfiguration.name'] },
    { name: 'unknown distinguisher', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 5, distinguisherMethod: { type: 'ByColor' } }), want: ['spec.distinguisherMethod.type'] },
    {
      name: 'rule without subjects nor rules', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 5, rules: [{}] }),
      want: ['spec.rules[0].subjects', 'spec.rules[0]'],
    },
    {
      name: 'subject kind and fields', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 5, rules: [{
        ...allRule, subjects: [{ kind: 'User', group: { name: 'g' } }, { kind: 'Robot' }, { kind: 'ServiceAccount', serviceAccount: { name: '*', namespace: '' } }],
      }] }),
      want: ['spec.rules[0].subjects[0].user', 'spec.rules[0].subjects[0].group', 'spec.rules[0].subjects[1].kind', 'spec.rules[0].subjects[2].serviceAccount.namespace'],
    },
    {
      name: 'resource rule wildcards and namespaces', obj: fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 5, rules: [{
        subjects: allRule.subjects,
        resourceRules: [{ verbs: ['get', '*'], apiGroups: ['*', 'apps'], resources: ['pods'] }, { verbs: ['fly'], apiGroups: [''], resources: ['pods'], namespaces: ['Bad_NS'] }],
      }] }),
      want: ['spec.rules[0].resourceRules[0].verbs', 'spec.rules[0].resourceRules[0].apiGroups', 'spec.rules[0].resourceRules[0].namespaces',
        'spec.rules[0].resourceRules[1].verbs', 'spec.rules[0].resourceRules[1].namespaces[0]'],
    },
    {
      name: 'mandatory catch-all spec is fixed', obj: fs('catch-all', { priorityLevelConfiguration: { name: 'catch-all' }, matchingPrecedence: 9999, rules: [allRule] }),
      want: ['spec'],
    },
  ];
  for (const c of cases) t.same(fields(validateFlowSchema(c.obj)), c.want, c.name);
  t.match(validateFlowSchema(fs('a', { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 10001 }))[0]?.message, /must not be greater than 10000/);
});

t.test('ValidateNonResourceURLPath', async (t) => {
  t.equal(nonResourceURLError('/healthz'), undefined);
  t.equal(nonResourceURLError('/healthz/*'), undefined);
  t.equal(nonResourceURLError('healthz'), 'must start with slash');
  t.equal(nonResourceURLError('/healthz/'), 'must not end with slash');
  t.equal(nonResourceURLError('/a//b'), 'must not contain empty segment');
  t.equal(nonResourceURLError('/*/b'), 'wildcard can only do suffix matching');
});

t.test('ValidatePriorityLevelConfiguration', async (t) => {
  const queue = (q: Record<string, number>) => pl('p', { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: q } } });
  const cases: { name: string; obj: PriorityLevelConfigurationObject; want: string[] }[] = [
    { name: 'valid', obj: queue({ queues: 64, handSize: 8, queueLengthLimit: 50 }), want: [] },
    { name: 'handSize above queues', obj: queue({ queues: 4, handSize: 8, queueLengthLimit: 50 }), want: ['spec.limited.limitResponse.queuing.handSize'] },
    { name: 'too much entropy', obj: queue({ queues: 1 << 20, handSize: 4, queueLengthLimit: 50 }), want: ['spec.limited.limitResponse.queuing.handSize'] },
    { name: 'non-positive values', obj: queue({ queues: 0, handSize: 0, queueLengthLimit: 0 }),
      want: ['spec.limited.limitResponse.queuing.queueLengthLimit', 'spec.limited.limitResponse.queuing.queues', 'spec.limited.limitResponse.queuing.handSize'] },
    { name: 'Exempt only for the exempt name', obj: pl('p', { type: 'Exempt' }), want: ['spec.type'] },
    { name: 'Limited without limited', obj: pl('p', { type: 'Limited' }), want: ['spec.limited'] },
    { name: 'Limited with exempt', obj: pl('p', { type: 'Limited', exempt: {}, limited: { limitResponse: { type: 'Reject' } } }), want: ['spec.exempt'] },
    { name: 'Reject with queuing', obj: pl('p', { type: 'Limited', limited: { limitResponse: { type: 'Reject', queuing: {} } } }), want: ['spec.limited.limitResponse.queuing'] },
    { name: 'unknown type', obj: pl('p', { type: 'Sometimes' }), want: ['spec.type'] },
    { name: 'lendablePercent above 100', obj: pl('p', { type: 'Limited', limited: { lendablePercent: 101, limitResponse: { type: 'Reject' } } }), want: ['spec.limited.lendablePercent'] },
    { name: 'exempt may change only spec.exempt', obj: pl('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 7, lendablePercent: 10 } }), want: [] },
    { name: 'catch-all spec is fixed', obj: pl('catch-all', { type: 'Limited', limited: { nominalConcurrencyShares: 6, lendablePercent: 0, limitResponse: { type: 'Reject' } } }), want: ['spec'] },
  ];
  for (const c of cases) t.same(fields(validatePriorityLevelConfiguration(c.obj)), c.want, c.name);
});

t.test('v1 defaults: matchingPrecedence 1000, shares 30, queuing 64/8/50', async (t) => {
  const f = fs('a', { priorityLevelConfiguration: { name: 'p' } });
  flowSchemaStrategy.defaults(f);
  t.equal(f.spec?.matchingPrecedence, 1000);
  const p = pl('p', { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } });
  priorityLevelConfigurationStrategy.defaults(p);
  t.same(p.spec?.limited, { nominalConcurrencyShares: 30, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } } });
});

t.test('the bootstrap objects are valid, unchanged by defaulting, and marked auto-update', async (t) => {
  t.same(BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS.map((o) => o.metadata.name),
    ['catch-all', 'exempt', 'system', 'node-high', 'leader-election', 'workload-high', 'workload-low', 'global-default']);
  t.equal(BOOTSTRAP_FLOW_SCHEMAS.length, 13);
  for (const o of BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS) {
    const copy = structuredClone(o) as unknown as PriorityLevelConfigurationObject;
    priorityLevelConfigurationStrategy.defaults(copy);
    t.same(copy, o, `${o.metadata.name} is left as is by defaulting`);
    t.same(validatePriorityLevelConfiguration(copy), [], `${o.metadata.name} is valid`);
    t.equal(o.metadata.annotations[AUTO_UPDATE_ANNOTATION], 'true');
  }
  for (const o of BOOTSTRAP_FLOW_SCHEMAS) {
    const copy = structuredClone(o) as unknown as FlowSchemaObject;
    flowSchemaStrategy.defaults(copy);
    t.same(copy, o, `${o.metadata.name} is left as is by defaulting`);
    t.same(validateFlowSchema(copy), [], `${o.metadata.name} is valid`);
    t.ok(BOOTSTRAP_PRIORITY_LEVEL_CONFIGURATIONS.some((p) => p.metadata.name === o.spec.priorityLevelConfiguration.name), `${o.metadata.name} references a bootstrap level`);
  }
});
