import t from 'tap';
import type { FieldError } from '../../../../pkg/api/errors.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import { findResource } from '../../../../pkg/api/resources.js';
import { strategyFor } from '../../../../pkg/apiserver/registry/strategies.js';

const messages = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.type}: ${e.message}`);
const deployments = strategyFor(findResource('apps', 'v1', 'deployments')!);
const jobs = strategyFor(findResource('batch', 'v1', 'jobs')!);
const statefulSets = strategyFor(findResource('apps', 'v1', 'statefulsets')!);
const daemonSets = strategyFor(findResource('apps', 'v1', 'daemonsets')!);
const cronJobs = strategyFor(findResource('batch', 'v1', 'cronjobs')!);

function deployment(spec: Record<string, unknown> = {}): KubeObject {
  const d: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
  deployments.defaults!(d);
  return d;
}

t.test('deployment defaults', async (t) => {
  const d = deployment();
  t.match(d['spec'], {
    replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} } },
  });
  const spec = d['spec'] as { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } };
  t.equal(spec.template.spec['enableServiceLinks'], undefined, 'enableServiceLinks is a Pod-only default');
  t.equal(spec.template.spec.containers[0]!['imagePullPolicy'], 'IfNotPresent');
  const recreate = deployment({ strategy: { type: 'Recreate' } });
  t.same((recreate['spec'] as { strategy: unknown }).strategy, { type: 'Recreate' });
});

t.test('deployment validation', async (t) => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'valid', spec: {}, want: [] },
    {
      name: 'selector does not match template',
      spec: { selector: { matchLabels: { app: 'db' } } },
      want: ['spec.template.metadata.labels: FieldValueInvalid: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    },
    { name: 'no selector', spec: { selector: undefined }, want: ['spec.selector: FieldValueRequired: '] },
    {
      name: 'negative replicas', spec: { replicas: -1 },
      want: ['spec.replicas: FieldValueInvalid: -1: must be greater than or equal to 0'],
    },
    {
      name: 'maxSurge and maxUnavailable both 0',
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
      want: ['spec.strategy.rollingUpdate.maxUnavailable: FieldValueInvalid: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
    },
    {
      name: 'restartPolicy Never',
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'x' }] } } },
      want: ['spec.template.spec.restartPolicy: FieldValueNotSupported: "Never": supported values: "Always"'],
    },
  ];
  for (const c of cases) t.same(messages(deployments.validate!(deployment(c.spec))), c.want, c.name);
});

t.test('deployment generation: 1 on create, bumped on spec or annotation change only', async (t) => {
  const d = deployment();
  d['status'] = { replicas: 9 };
  deployments.prepareForCreate!(d);
  t.equal(d.metadata?.generation, 1);
  t.same(d['status'], {});

  const stored = structuredClone(d);
  stored['status'] = { replicas: 1, observedGeneration: 1 };
  const relabel = structuredClone(stored);
  relabel.metadata = { ...relabel.metadata, labels: { x: 'y' } };
  relabel['status'] = {};
  deployments.prepareForUpdate!(relabel, stored);
  t.equal(relabel.metadata?.generation, 1, 'labels only: no bump');
  t.same(relabel['status'], { replicas: 1, observedGeneration: 1 }, 'status kept');

  const scaled = structuredClone(stored);
  (scaled['spec'] as { replicas: number }).replicas = 3;
  deployments.prepareForUpdate!(scaled, stored);
  t.equal(scaled.metadata?.generation, 2, 'spec change bumps');

  const annotated = structuredClone(stored);
  annotated.metadata = { ...annotated.metadata, annotations: { a: 'b' } };
  deployments.prepareForUpdate!(annotated, stored);
  t.equal(annotated.metadata?.generation, 2, 'annotation change bumps for deployments');

  const status = structuredClone(stored);
  (status['spec'] as { replicas: number }).replicas = 7;
  status.metadata = { ...status.metadata, labels: { sneaky: 'yes' }, generation: 40 };
  status['status'] = { replicas: 2 };
  deployments.prepareForStatusUpdate!(status, stored);
  t.equal((status['spec'] as { replicas: number }).replicas, 1, 'status update keeps spec');
  t.equal(status.metadata?.labels, undefined, 'and labels');
  t.equal(status.metadata?.generation, 1, 'and generation');
  t.same(status['status'], { replicas: 2 });
});

t.test('apps/v1 selector is immutable', async (t) => {
  const old = deployment();
  const changed = deployment({
    selector: { matchLabels: { app: 'web', tier: 'x' } },
    template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'a', image: 'x' }] } },
  });
  t.same(messages(deployments.validateUpdate!(changed, old)), [
    'spec.selector: FieldValueInvalid: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

t.test('statefulset and daemonset defaults', async (t) => {
  const tpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'x' }] } };
  const sts: KubeObject = { metadata: { name: 's' }, spec: { selector: { matchLabels: { app: 'a' } }, serviceName: 's', template: tpl } };
  statefulSets.defaults!(sts);
  t.match(sts['spec'], {
    replicas: 1, podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10,
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
  });
  t.same(statefulSets.validate!(sts), []);
  const ds: KubeObject = { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template: structuredClone(tpl) } };
  daemonSets.defaults!(ds);
  t.match(ds['spec'], { revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
  t.same(daemonSets.validate!(ds), []);
});

t.test('jobs: defaults, generated selector, restartPolicy', async (t) => {
  const job: KubeObject = {
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } } },
  };
  jobs.defaults!(job);
  t.match(job['spec'], { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
  jobs.prepareForCreate!(job);
  t.same((job['spec'] as { selector: unknown }).selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  t.match((job['spec'] as { template: unknown }).template, { metadata: { labels: { 'controller-uid': 'u-1', 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi' } } });
  t.equal(job.metadata?.generation, 1);
  t.same(jobs.validate!(job), []);

  const always: KubeObject = { metadata: { name: 'x', uid: 'u-2' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } };
  jobs.defaults!(always);
  jobs.prepareForCreate!(always);
  t.same(messages(jobs.validate!(always)), ['spec.template.spec.restartPolicy: FieldValueNotSupported: "Always": supported values: "OnFailure", "Never"']);
});

t.test('cronjob defaults and schedule', async (t) => {
  const cj: KubeObject = {
    metadata: { name: 'tick' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'x' }] } } } } },
  };
  cronJobs.defaults!(cj);
  t.match(cj['spec'], { concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
  t.same(cronJobs.validate!(cj), []);
  (cj['spec'] as { schedule: string }).schedule = 'often';
  t.same(messages(cronJobs.validate!(cj)), ['spec.schedule: FieldValueInvalid: "often": expected exactly 5 fields, found 1: [often]']);
});
