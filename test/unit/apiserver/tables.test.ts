import t from 'tap';
import { toTable } from '../../../pkg/apiserver/tables.js';
import { humanDuration } from '../../../pkg/apiserver/tables/human-duration.js';
import { findResource, type ResourceInfo } from '../../../pkg/api/resources.js';
import type { KubeObject } from '../../../pkg/api/meta.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const res = (group: string, version: string, plural: string): ResourceInfo => {
  const r = findResource(group, version, plural);
  if (!r) throw new Error(`no resource ${plural}`);
  return r;
};
const cellsOf = (r: ResourceInfo, obj: KubeObject) => toTable(r, [obj], { now }).rows[0]?.cells;
const columnsOf = (r: ResourceInfo) => toTable(r, [], { now }).columnDefinitions?.map((c) => (c.priority ? `${c.name}*` : c.name));

t.test('humanDuration as util/duration prints it', async (t) => {
  const cases: { name: string; input: number; want: string }[] = [
    { name: 'clock skew', input: -1500, want: '0s' },
    { name: 'future', input: -3000, want: '<invalid>' },
    { name: 'seconds', input: 45_000, want: '45s' },
    { name: 'under two minutes', input: 119_000, want: '119s' },
    { name: 'minutes and seconds', input: 312_000, want: '5m12s' },
    { name: 'whole minutes', input: 300_000, want: '5m' },
    { name: 'tens of minutes', input: 45 * 60_000 + 10_000, want: '45m' },
    { name: 'hours and minutes', input: (3 * 60 + 20) * 60_000, want: '3h20m' },
    { name: 'whole hours', input: 3 * 3600_000, want: '3h' },
    { name: 'many hours', input: 30 * 3600_000, want: '30h' },
    { name: 'days and hours', input: (2 * 24 + 5) * 3600_000, want: '2d5h' },
    { name: 'days', input: 40 * 24 * 3600_000, want: '40d' },
    { name: 'years and days', input: (2 * 365 + 10) * 24 * 3600_000, want: '2y10d' },
    { name: 'years', input: 9 * 365 * 24 * 3600_000, want: '9y' },
  ];
  for (const c of cases) t.equal(humanDuration(c.input), c.want, c.name);
});

const pods = res('', 'v1', 'pods');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: ago(600), ...extra });

t.test('pod columns', async (t) => {
  t.same(columnsOf(pods), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
});

t.test('pod rows as printPod prints them', async (t) => {
  const cases: { name: string; input: KubeObject; want: unknown[] }[] = [
    {
      name: 'running',
      input: {
        metadata: meta('web-1'), spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx' }] },
        status: {
          phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: ago(590) } } }],
        },
      },
      want: ['web-1', '1/1', 'Running', '0', '10m', '10.244.0.5', 'node-1', '<none>', '<none>'],
    },
    {
      name: 'crash looping',
      input: {
        metadata: meta('crash'), spec: { nodeName: 'node-1', containers: [{ name: 'app' }] },
        status: {
          phase: 'Running', podIPs: [{ ip: '10.244.0.6' }],
          containerStatuses: [{
            name: 'app', ready: false, restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          }],
        },
      },
      want: ['crash', '0/1', 'CrashLoopBackOff', '3 (5m ago)', '10m', '10.244.0.6', 'node-1', '<none>', '<none>'],
    },
    {
      name: 'waiting on the first init container',
      input: {
        metadata: meta('init'), spec: { nodeName: 'node-1', initContainers: [{ name: 'setup' }], containers: [{ name: 'app' }] },
        status: {
          phase: 'Pending', conditions: [{ type: 'Initialized', status: 'False' }],
          initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 0, state: { running: { startedAt: ago(5) } } }],
          containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
        },
      },
      want: ['init', '0/1', 'Init:0/1', '0', '10m', '<none>', 'node-1', '<none>', '<none>'],
    },
    {
      name: 'failed init container',
      input: {
        metadata: meta('init-err'), spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'app' }] },
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'setup', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } } }],
        },
      },
      want: ['init-err', '0/1', 'Init:CrashLoopBackOff', '2 (60s ago)', '10m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      name: 'creating containers',
      input: {
        metadata: meta('new'), spec: { nodeName: 'node-2', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Pending',
          containerStatuses: [
            { name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
            { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
          ],
        },
      },
      want: ['new', '0/2', 'ContainerCreating', '0', '10m', '<none>', 'node-2', '<none>', '<none>'],
    },
    {
      name: 'terminating',
      input: {
        metadata: meta('bye', { deletionTimestamp: ago(-30) }), spec: { nodeName: 'node-1', containers: [{ name: 'web' }] },
        status: {
          phase: 'Running', podIPs: [{ ip: '10.244.0.7' }],
          containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: { running: {} } }],
        },
      },
      want: ['bye', '1/1', 'Terminating', '0', '10m', '10.244.0.7', 'node-1', '<none>', '<none>'],
    },
    {
      name: 'completed',
      input: {
        metadata: meta('job-abc'), spec: { nodeName: 'node-1', containers: [{ name: 'job' }] },
        status: {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(100) } } }],
        },
      },
      want: ['job-abc', '0/1', 'Completed', '0', '10m', '<none>', 'node-1', '<none>', '<none>'],
    },
    {
      name: 'error exit without reason',
      input: {
        metadata: meta('oops'), spec: { containers: [{ name: 'c' }] },
        status: { phase: 'Failed', containerStatuses: [{ name: 'c', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] },
      },
      want: ['oops', '0/1', 'Signal:9', '0', '10m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      name: 'pending unscheduled with readiness gate',
      input: {
        metadata: meta('gated'), spec: { containers: [{ name: 'c' }], readinessGates: [{ conditionType: 'example.com/ready' }] },
        status: { phase: 'Pending', nominatedNodeName: 'node-3', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
      },
      want: ['gated', '0/1', 'Pending', '0', '10m', '<none>', '<none>', 'node-3', '0/1'],
    },
    {
      name: 'evicted',
      input: { metadata: meta('ev'), spec: { containers: [{ name: 'c' }] }, status: { phase: 'Failed', reason: 'Evicted' } },
      want: ['ev', '0/1', 'Evicted', '0', '10m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      name: 'running sidecar counts as a container',
      input: {
        metadata: meta('side'), spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
        status: {
          phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
          initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * 3600) } } }],
          containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
        },
      },
      want: ['side', '2/2', 'Running', '1 (3h ago)', '10m', '<none>', '<none>', '<none>', '<none>'],
    },
  ];
  for (const c of cases) t.same(cellsOf(pods, c.input), c.want, c.name);
});

t.test('completed pods carry the Completed row condition', async (t) => {
  const table = toTable(pods, [{ metadata: meta('done'), spec: { containers: [] }, status: { phase: 'Succeeded' } }], { now });
  t.same(table.rows[0]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
});

t.test('row objects, headers and list metadata', async (t) => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: meta('a', { labels: { app: 'web' } }), spec: { containers: [] } };
  const byDefault = toTable(pods, [pod], { now, resourceVersion: '42', continue: 'tok' });
  t.same(byDefault.metadata, { resourceVersion: '42', continue: 'tok' });
  t.equal(byDefault.kind, 'Table');
  t.equal(byDefault.apiVersion, 'meta.k8s.io/v1');
  t.same(byDefault.rows[0]?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  t.same(byDefault.columnDefinitions?.[0], { name: 'Name', type: 'string', format: 'name', description: byDefault.columnDefinitions?.[0]?.description, priority: 0 });
  t.same(toTable(pods, [pod], { now, includeObject: 'Object' }).rows[0]?.object, pod);
  t.notOk('object' in (toTable(pods, [pod], { now, includeObject: 'None' }).rows[0] ?? {}));
  t.equal(toTable(pods, [pod], { now, noHeaders: true }).columnDefinitions, null);
});

t.test('nodes', async (t) => {
  const nodes = res('', 'v1', 'nodes');
  t.same(columnsOf(nodes), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
  const node = (name: string, labels: Record<string, string>, ready: string | undefined, unschedulable = false): KubeObject => ({
    metadata: { name, labels, creationTimestamp: ago(3 * 86400) },
    spec: unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: ready ? [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }] : [],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'docker://24.0.7' },
    },
  });
  const wide = ['172.18.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'docker://24.0.7'];
  const cases: { name: string; input: KubeObject; want: unknown[] }[] = [
    { name: 'ready control plane', input: node('cp', { 'node-role.kubernetes.io/control-plane': '' }, 'True'), want: ['cp', 'Ready', 'control-plane', '3d', 'v1.32.4', ...wide] },
    { name: 'cordoned worker', input: node('w1', { 'kubernetes.io/role': 'worker' }, 'True', true), want: ['w1', 'Ready,SchedulingDisabled', 'worker', '3d', 'v1.32.4', ...wide] },
    { name: 'not ready', input: node('w2', {}, 'False'), want: ['w2', 'NotReady', '<none>', '3d', 'v1.32.4', ...wide] },
    { name: 'ready unknown', input: node('w3', {}, 'Unknown'), want: ['w3', 'NotReady', '<none>', '3d', 'v1.32.4', ...wide] },
    { name: 'no ready condition', input: node('w4', { 'node-role.kubernetes.io/b': '', 'node-role.kubernetes.io/a': '' }, undefined), want: ['w4', 'Unknown', 'a,b', '3d', 'v1.32.4', ...wide] },
  ];
  for (const c of cases) t.same(cellsOf(nodes, c.input), c.want, c.name);
});

t.test('deployments and replicasets', async (t) => {
  const deployments = res('apps', 'v1', 'deployments');
  t.same(columnsOf(deployments), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const spec = { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'log', image: 'busybox:1.35' }] } } };
  t.same(cellsOf(deployments, { metadata: { name: 'web', creationTimestamp: ago(45) }, spec, status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }),
    ['web', '2/3', 3, 2, '45s', 'web,log', 'nginx:1.25,busybox:1.35', 'app=web']);
  t.same(cellsOf(deployments, { metadata: { name: 'new' }, spec: { ...spec, replicas: 0 } }), ['new', '0/0', 0, 0, '<unknown>', 'web,log', 'nginx:1.25,busybox:1.35', 'app=web']);
  const replicasets = res('apps', 'v1', 'replicasets');
  t.same(cellsOf(replicasets, { metadata: { name: 'web-5d4f', creationTimestamp: ago(7200) }, spec, status: { replicas: 3, readyReplicas: 3 } }),
    ['web-5d4f', 3, 3, 3, '120m', 'web,log', 'nginx:1.25,busybox:1.35', 'app=web']);
});

t.test('services', async (t) => {
  const services = res('', 'v1', 'services');
  t.same(columnsOf(services), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
  const cases: { name: string; input: KubeObject; want: unknown[] }[] = [
    {
      name: 'cluster IP',
      input: { metadata: { name: 'web', creationTimestamp: ago(3600 * 5) }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web', tier: 'fe' } } },
      want: ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '5h', 'app=web,tier=fe'],
    },
    {
      name: 'node port',
      input: { metadata: { name: 'np', creationTimestamp: ago(60) }, spec: { type: 'NodePort', clusterIPs: ['10.96.1.1'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } },
      want: ['np', 'NodePort', '10.96.1.1', '<none>', '80:30080/TCP', '60s', '<none>'],
    },
    {
      name: 'pending load balancer',
      input: { metadata: { name: 'lb', creationTimestamp: ago(60) }, spec: { type: 'LoadBalancer', clusterIPs: ['10.96.1.2'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] } },
      want: ['lb', 'LoadBalancer', '10.96.1.2', '<pending>', '443:31443/TCP', '60s', '<none>'],
    },
    {
      name: 'headless without ports',
      input: { metadata: { name: 'db', creationTimestamp: ago(60) }, spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' } } },
      want: ['db', 'ClusterIP', 'None', '<none>', '<none>', '60s', 'app=db'],
    },
    {
      name: 'external name',
      input: { metadata: { name: 'ext', creationTimestamp: ago(60) }, spec: { type: 'ExternalName', externalName: 'example.com' } },
      want: ['ext', 'ExternalName', '<none>', 'example.com', '<none>', '60s', '<none>'],
    },
  ];
  for (const c of cases) t.same(cellsOf(services, c.input), c.want, c.name);
});

t.test('events', async (t) => {
  const events = res('', 'v1', 'events');
  t.same(columnsOf(events), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
  const cases: { name: string; input: KubeObject; want: unknown[] }[] = [
    {
      name: 'kubelet event',
      input: {
        metadata: { name: 'web-1.17c8', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{web}' },
        reason: 'Pulled', type: 'Normal', message: 'Successfully pulled image "nginx"\n', source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: ago(600), lastTimestamp: ago(30), count: 4,
      },
      want: ['30s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{web}', 'kubelet, node-1', 'Successfully pulled image "nginx"', '10m', 4, 'web-1.17c8'],
    },
    {
      name: 'events.k8s.io singleton',
      input: {
        metadata: { name: 'web.1', namespace: 'default' }, involvedObject: { kind: 'Deployment', name: 'web' },
        reason: 'ScalingReplicaSet', type: 'Normal', message: 'Scaled up replica set web-5d4f to 3',
        eventTime: '2024-05-01T11:58:00.000000Z', reportingComponent: 'deployment-controller', source: {},
      },
      want: ['2m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-5d4f to 3', '2m', 1, 'web.1'],
    },
    {
      name: 'series',
      input: {
        metadata: { name: 'n.1', namespace: 'default' }, involvedObject: { kind: 'Node' }, reason: 'Rebooted', type: 'Warning', message: 'm',
        eventTime: ago(3600), series: { count: 7, lastObservedTime: ago(10) }, reportingComponent: 'kubelet', reportingInstance: 'node-1',
      },
      want: ['10s', 'Warning', 'Rebooted', 'node', '', 'kubelet, node-1', 'm', '60m', 7, 'n.1'],
    },
  ];
  for (const c of cases) t.same(cellsOf(events, c.input), c.want, c.name);
});

t.test('other kinds', async (t) => {
  const cases: { name: string; input: [string, string, string, KubeObject]; want: unknown[] }[] = [
    { name: 'namespace', input: ['', 'v1', 'namespaces', { metadata: { name: 'default', creationTimestamp: ago(2 * 86400 + 3600 * 5) }, status: { phase: 'Active' } }], want: ['default', 'Active', '2d5h'] },
    { name: 'configmap', input: ['', 'v1', 'configmaps', { metadata: { name: 'cfg', creationTimestamp: ago(5) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }], want: ['cfg', 3, '5s'] },
    { name: 'secret', input: ['', 'v1', 'secrets', { metadata: { name: 's', creationTimestamp: ago(5) }, type: 'Opaque', data: { p: 'eA==' } }], want: ['s', 'Opaque', 1, '5s'] },
    { name: 'serviceaccount', input: ['', 'v1', 'serviceaccounts', { metadata: { name: 'default', creationTimestamp: ago(5) } }], want: ['default', 0, '5s'] },
    {
      name: 'endpoints', input: ['', 'v1', 'endpoints', { metadata: { name: 'web', creationTimestamp: ago(5) }, subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] }],
      want: ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...', '5s'],
    },
    { name: 'endpoints without subsets', input: ['', 'v1', 'endpoints', { metadata: { name: 'none', creationTimestamp: ago(5) } }], want: ['none', '<none>', '5s'] },
    {
      name: 'job running', input: ['batch', 'v1', 'jobs', {
        metadata: { name: 'pi', creationTimestamp: ago(90) }, spec: { completions: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
        status: { startTime: ago(80), active: 1 },
      }],
      want: ['pi', 'Running', '0/1', '80s', '90s', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u'],
    },
    {
      name: 'job complete', input: ['batch', 'v1', 'jobs', {
        metadata: { name: 'pi', creationTimestamp: ago(600) }, spec: { completions: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
        status: { startTime: ago(590), completionTime: ago(560), succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
      }],
      want: ['pi', 'Complete', '1/1', '30s', '10m', 'pi', 'perl', '<none>'],
    },
    {
      name: 'cronjob', input: ['batch', 'v1', 'cronjobs', {
        metadata: { name: 'hello', creationTimestamp: ago(600) }, spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'h', image: 'busybox' }] } } } } },
        status: { lastScheduleTime: ago(20), active: [{ name: 'hello-1' }] },
      }],
      want: ['hello', '*/1 * * * *', '<none>', 'False', 1, '20s', '10m', 'h', 'busybox', '<none>'],
    },
    {
      name: 'statefulset', input: ['apps', 'v1', 'statefulsets', { metadata: { name: 'db', creationTimestamp: ago(5) }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'db', image: 'pg' }] } } }, status: { readyReplicas: 1 } }],
      want: ['db', '1/2', '5s', 'db', 'pg'],
    },
    {
      name: 'daemonset', input: ['apps', 'v1', 'daemonsets', {
        metadata: { name: 'proxy', creationTimestamp: ago(5) }, spec: { selector: { matchLabels: { k: 'p' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'p', image: 'kp' }] } } },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
      }],
      want: ['proxy', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '5s', 'p', 'kp', 'k=p'],
    },
    {
      name: 'controllerrevision', input: ['apps', 'v1', 'controllerrevisions', { metadata: { name: 'db-7f', creationTimestamp: ago(5), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] }, revision: 2 }],
      want: ['db-7f', 'statefulset.apps/db', 2, '5s'],
    },
    { name: 'lease', input: ['coordination.k8s.io', 'v1', 'leases', { metadata: { name: 'kube-scheduler', creationTimestamp: ago(5) }, spec: { holderIdentity: 'host_1234' } }], want: ['kube-scheduler', 'host_1234', '5s'] },
    { name: 'priorityclass', input: ['scheduling.k8s.io', 'v1', 'priorityclasses', { metadata: { name: 'system-node-critical', creationTimestamp: ago(5) }, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }], want: ['system-node-critical', 2000001000, false, '5s', 'PreemptLowerPriority'] },
    { name: 'pdb', input: ['policy', 'v1', 'poddisruptionbudgets', { metadata: { name: 'web', creationTimestamp: ago(5) }, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }], want: ['web', '50%', 'N/A', 1, '5s'] },
    {
      name: 'hpa', input: ['autoscaling', 'v2', 'horizontalpodautoscalers', {
        metadata: { name: 'web', creationTimestamp: ago(5) },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
        status: { currentReplicas: 2 },
      }],
      want: ['web', 'Deployment/web', 'cpu: <unknown>/80%', '1', 5, 2, '5s'],
    },
    {
      name: 'endpointslice', input: ['discovery.k8s.io', 'v1', 'endpointslices', { metadata: { name: 'web-abc', creationTimestamp: ago(5) }, addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] }],
      want: ['web-abc', 'IPv4', '80', '10.0.0.1,10.0.0.2', '5s'],
    },
    { name: 'empty endpointslice', input: ['discovery.k8s.io', 'v1', 'endpointslices', { metadata: { name: 'e', creationTimestamp: ago(5) }, addressType: 'IPv4', endpoints: [] }], want: ['e', 'IPv4', '<unset>', '<unset>', '5s'] },
    { name: 'quota', input: ['', 'v1', 'resourcequotas', { metadata: { name: 'q', creationTimestamp: ago(5) }, spec: { hard: { pods: '10', 'limits.cpu': '2', 'requests.cpu': '1' } }, status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.cpu': '1' }, used: { pods: '3', 'requests.cpu': '500m' } } }], want: ['q', '5s', 'pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 0/2'] },
    { name: 'limitrange', input: ['', 'v1', 'limitranges', { metadata: { name: 'lr', creationTimestamp: '2024-04-01T10:00:00Z' } }], want: ['lr', '2024-04-01T10:00:00Z'] },
    { name: 'clusterrole', input: ['rbac.authorization.k8s.io', 'v1', 'clusterroles', { metadata: { name: 'admin', creationTimestamp: '2024-04-01T10:00:00Z' } }], want: ['admin', '2024-04-01T10:00:00Z'] },
    {
      name: 'rolebinding', input: ['rbac.authorization.k8s.io', 'v1', 'rolebindings', {
        metadata: { name: 'rb', creationTimestamp: ago(5) }, roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'default', namespace: 'ci' }, { kind: 'Group', name: 'devs' }],
      }],
      want: ['rb', 'ClusterRole/view', '5s', 'jane', 'devs', 'ci/default'],
    },
    {
      name: 'pv', input: ['', 'v1', 'persistentvolumes', { metadata: { name: 'pv1', creationTimestamp: ago(5) }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local' }, status: { phase: 'Bound' } }],
      want: ['pv1', '1Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '5s', '<unset>'],
    },
    {
      name: 'pvc', input: ['', 'v1', 'persistentvolumeclaims', { metadata: { name: 'data', creationTimestamp: ago(5) }, spec: { volumeName: 'pv1', storageClassName: 'local', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } }],
      want: ['data', 'Bound', 'pv1', '1Gi', 'RWO', 'local', '<unset>', '5s', 'Filesystem'],
    },
  ];
  for (const c of cases) {
    const [group, version, plural, obj] = c.input;
    t.same(cellsOf(res(group, version, plural), obj), c.want, c.name);
  }
});

t.test('kinds without a printer show Name and Age', async (t) => {
  const crd: ResourceInfo = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', singular: 'widget', namespaced: true, verbs: [], subresources: [] };
  t.same(columnsOf(crd), ['Name', 'Age']);
  t.same(cellsOf(crd, { metadata: { name: 'w', creationTimestamp: ago(3 * 3600) } }), ['w', '3h']);
});
