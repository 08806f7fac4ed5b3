// The node lifecycle and taint eviction controllers against a real apiserver over real etcd,
// with a stand-in kubelet that renews its Lease and posts node status: a node whose Lease
// stops being renewed goes Unknown and is tainted, its pods are marked not Ready and evicted
// after their tolerationSeconds, and the taints go when the kubelet comes back.
import t from 'tap';
import type { NodeCondition, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { startInProcessApiServer } from '../../harness/apiserver.js';
import { nowMicroTime, nowRfc3339 } from '../../../pkg/api/meta.js';
import { InformerFactory } from '../../../pkg/client/informer-factory.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { newControllerContext } from '../../../pkg/controller/controller-context.js';
import { NodeLifecycleController } from '../../../pkg/controller/nodelifecycle/node-lifecycle-controller.js';
import { TaintEvictionController } from '../../../pkg/controller/nodelifecycle/taint-eviction-controller.js';
import { until as untilTrue } from '../../harness/until.js';

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => untilTrue(what, cond, ms);

const GRACE_MS = 2_000;
const etcd = await testEtcd(t);
const api = await startInProcessApiServer(etcd, uniquePrefix('nodelc'));
const client = new RestClient({ server: api.url });
const ac = new AbortController();
const informers = new InformerFactory(client);
const ctx = newControllerContext({
  client, informers, logger: pino({ level: process.env['TSKUBE_TEST_LOG'] ?? 'silent' }),
  options: { nodeMonitorGracePeriodMs: GRACE_MS, nodeStartupGracePeriodMs: GRACE_MS, nodeMonitorPeriodMs: 500 },
});
const controllers = [new NodeLifecycleController(ctx), new TaintEvictionController(ctx)];
const running = Promise.all(controllers.map((c) => c.run(ac.signal)));

const nodes = client.resource('nodes');
const pods = client.resource('pods');
const leases = client.resource('leases');
const NODE = 'worker-1';
const NS = 'nl';

// ---- a stand-in kubelet ----
let renewing = true;
const kubeletStatus = async (ready: 'True' | 'False') => {
  const now = nowRfc3339();
  const cond = (type: string, status: string, reason: string): NodeCondition => ({ type, status, reason, message: reason, lastHeartbeatTime: now, lastTransitionTime: now });
  await nodes.patch('', NODE, 'merge', { status: { conditions: [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'), cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID'), cond('Ready', ready, ready === 'True' ? 'KubeletReady' : 'KubeletNotReady'),
  ] } }, { subresource: 'status' });
};
const renewLoop = (async () => {
  while (!ac.signal.aborted) {
    if (renewing) await leases.patch('kube-node-lease', NODE, 'merge', { spec: { renewTime: nowMicroTime() } }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
})();
t.teardown(async () => { ac.abort(); await running; await renewLoop; await informers.shutdown(); await client.destroy(); await api.close(); });

await client.resource('namespaces').create('', { metadata: { name: NS } });
await nodes.create('', { metadata: { name: NODE } });
await kubeletStatus('True');
await leases.create('kube-node-lease', { metadata: { name: NODE }, spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: nowMicroTime() } });

const unreachable = (seconds?: number): Toleration => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) });
async function boundPod(name: string, tolerations: Toleration[]): Promise<Pod> {
  await pods.create(NS, { metadata: { name }, spec: { nodeName: NODE, tolerations, containers: [{ name: 'c', image: 'busybox:1.35' }] } });
  const now = nowRfc3339();
  return pods.patch(NS, name, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, { subresource: 'status' });
}
const controllerTaints = async () => ((await nodes.get('', NODE)).spec?.taints ?? []).filter((x) => x.key.startsWith('node.kubernetes.io/'));
const events = async (reason: string) => (await client.resource('events').list(NS)).items.filter((e) => e.reason === reason).map((e) => e.message);

t.test('a node whose lease stops being renewed goes Unknown, is tainted, and its pods are evicted after tolerationSeconds', async (t) => {
  await boundPod('short', [unreachable(2)]);
  await boundPod('patient', [unreachable(30)]);
  await boundPod('forever', [unreachable()]);
  await boundPod('defaulted', []); // admission adds the 300 s tolerations
  await new Promise((r) => setTimeout(r, GRACE_MS + 500)); // a full grace period of renewals
  t.same(await controllerTaints(), [], 'a renewing node is left alone');
  t.equal((await nodes.get('', NODE)).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

  renewing = false;
  const stoppedAt = Date.now();
  await until('node Unknown', async () => (await nodes.get('', NODE)).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown');
  t.ok(Date.now() - stoppedAt >= GRACE_MS - 300, 'not before the grace period');
  const node = await nodes.get('', NODE);
  for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    t.match(node.status?.conditions?.find((c) => c.type === type), { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }, `${type} Unknown`);
  }
  await until('unreachable taints', async () => (await controllerTaints()).length === 2);
  const taints = await controllerTaints();
  t.same(taints.map((x) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  const timeAdded = Date.parse(taints.find((x) => x.effect === 'NoExecute')?.timeAdded ?? '');
  t.ok(timeAdded > 0, 'NoExecute taint has timeAdded');

  await until('pods marked not Ready', async () => (await pods.get(NS, 'defaulted')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
  await until('short evicted', async () => Boolean((await pods.get(NS, 'short')).metadata?.deletionTimestamp));
  t.ok(Date.now() >= timeAdded + 2_000 - 1_000, 'evicted no earlier than tolerationSeconds after timeAdded (second-precision timeAdded)');
  t.match((await pods.get(NS, 'short')).status?.conditions?.find((c) => c.type === 'DisruptionTarget'), { status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
  await until('eviction event', async () => (await events('TaintManagerEviction')).includes(`Marking for deletion Pod ${NS}/short`));
  t.ok((await events('NodeNotReady')).includes('Node is not ready'), 'pods got NodeNotReady events');
  for (const name of ['patient', 'forever', 'defaulted']) t.notOk((await pods.get(NS, name)).metadata?.deletionTimestamp, `${name} still tolerates`);

  // The kubelet comes back: renews, and posts Ready.
  renewing = true;
  await kubeletStatus('True');
  await until('taints removed', async () => (await controllerTaints()).length === 0);
  await until('scheduled eviction cancelled', async () => (await events('TaintManagerEviction')).includes(`Cancelling deletion of Pod ${NS}/patient`));
  t.notOk((await pods.get(NS, 'patient')).metadata?.deletionTimestamp, 'patient kept');
});

t.test('a NotReady node gets the not-ready taints, and loses them when Ready again', async (t) => {
  await kubeletStatus('False');
  await until('not-ready taints', async () => (await controllerTaints()).map((x) => `${x.key}:${x.effect}`).sort().join() === 'node.kubernetes.io/not-ready:NoExecute,node.kubernetes.io/not-ready:NoSchedule');
  t.pass('tainted not-ready');
  await kubeletStatus('True');
  await until('taints removed', async () => (await controllerTaints()).length === 0);
  t.pass('untainted');
});
