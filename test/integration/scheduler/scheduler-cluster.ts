// A cluster for scheduler tests: a real etcd, an in-process kube-apiserver under its own
// prefix, Node objects created through the API (no kubelet), and an in-process Scheduler
// with short backoffs. Pods are created through the API like any client would.
import type { Event, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists } from '../../../pkg/api/errors.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { Scheduler, type SchedulerOptions } from '../../../pkg/scheduler/scheduler.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';

interface TestContext { teardown(fn: () => unknown): void }

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export interface PodSpec {
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  priorityClassName?: string;
  schedulerName?: string;
  /** Merged over the generated spec. */
  spec?: Partial<Pod['spec']>;
  gracePeriodSeconds?: number;
}

export interface SchedulerCluster {
  url: string;
  client: RestClient;
  scheduler: Scheduler | undefined;
  createNode(name: string, spec?: NodeSpec): Promise<Node>;
  createPod(name: string, spec?: PodSpec, namespace?: string): Promise<Pod>;
  getPod(name: string, namespace?: string): Promise<Pod>;
  /** Starts the in-process scheduler (once). */
  startScheduler(opts?: Partial<SchedulerOptions>): Promise<Scheduler>;
  /** The core/v1 Events about one pod, optionally of one reason. */
  eventsFor(name: string, reason?: string, namespace?: string): Promise<Event[]>;
  waitForBound(name: string, ms?: number, namespace?: string): Promise<Pod>;
}

/** Polls cond every pollMs until it holds; throws after ms. Poll heavy conditions (lists) slowly. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000, pollMs = 25): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function startSchedulerCluster(t: TestContext): Promise<SchedulerCluster> {
  const etcd = await testEtcd(t);
  const api = await startInProcessApiServer(etcd, uniquePrefix('sched'));
  const client = new RestClient({ server: api.url });
  const ac = new AbortController();
  let running: Promise<void> | undefined;
  t.teardown(async () => {
    ac.abort();
    await running;
    await cluster.scheduler?.shutdownInformers();
    await client.destroy();
    await api.close();
  });
  const pods = client.resource('pods');

  const cluster: SchedulerCluster = {
    url: api.url,
    client,
    scheduler: undefined,
    async createNode(name, spec = {}) {
      const allocatable = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: spec.pods ?? '110' };
      const status = {
        capacity: allocatable, allocatable,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      };
      const nodes = client.resource('nodes');
      const created = await nodes.create('', {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...spec.labels } },
        spec: { ...(spec.taints ? { taints: spec.taints } : {}), ...(spec.unschedulable ? { unschedulable: true } : {}) },
        status,
      });
      // The apiserver's node strategy drops status on create (unlike Kubernetes): set it after.
      return created.status?.allocatable ? created : nodes.updateStatus('', { ...created, status });
    },
    async createPod(name, spec = {}, namespace = 'default') {
      const requests: Record<string, string> = {};
      if (spec.cpu) requests['cpu'] = spec.cpu;
      if (spec.memory) requests['memory'] = spec.memory;
      return pods.create(namespace, {
        metadata: { name, namespace, ...(spec.labels ? { labels: spec.labels } : {}) },
        spec: {
          containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests } }],
          terminationGracePeriodSeconds: spec.gracePeriodSeconds ?? 0,
          ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
          ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
          ...(spec.schedulerName ? { schedulerName: spec.schedulerName } : {}),
          ...spec.spec,
        },
      });
    },
    getPod: (name, namespace = 'default') => pods.get(namespace, name),
    async startScheduler(opts = {}) {
      if (cluster.scheduler) return cluster.scheduler;
      const scheduler = new Scheduler({
        client, podInitialBackoffMs: 100, podMaxBackoffMs: 1000, flushBackoffPeriodMs: 50, ...opts,
      });
      cluster.scheduler = scheduler;
      if (!(await scheduler.startInformers(ac.signal))) throw new Error('informers did not sync');
      running = scheduler.run(ac.signal);
      return scheduler;
    },
    async eventsFor(name, reason, namespace = 'default') {
      const { items } = await client.resource('events').list(namespace, { fieldSelector: `involvedObject.name=${name}` });
      return items.filter((e) => e.involvedObject.name === name && (reason === undefined || e.reason === reason));
    },
    async waitForBound(name, ms = 20_000, namespace = 'default') {
      let pod: Pod | undefined;
      await until(`pod ${name} bound`, async () => !!(pod = await pods.get(namespace, name)).spec?.nodeName, ms);
      return pod!;
    },
  };
  return cluster;
}

export async function createPriorityClass(client: RestClient, name: string, value: number): Promise<void> {
  await client.resource('priorityclasses').create('', { metadata: { name }, value }).catch((e: unknown) => {
    if (!isAlreadyExists(e)) throw e;
  });
}
