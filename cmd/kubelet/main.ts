#!/usr/bin/env node
// kubelet: the node agent. Registers its Node, runs the pods bound to it as Docker containers
// (or, with --runtime=fake, in memory; --fake-nodes N runs N hollow nodes in this process).
// SIGTERM stops the kubelet and leaves its pods running; the next kubelet adopts them.
import os from 'node:os';
import { RestClient } from '../../pkg/client/rest-client.js';
import { clientConfigFromFlags } from '../../pkg/client/kubeconfig.js';
import { durationFlag, intFlag, parseFlags } from '../../pkg/component/flags.js';
import { componentLogger } from '../../pkg/component/logger.js';
import { DEFAULT_MAX_PODS, Kubelet } from '../../pkg/kubelet/kubelet.js';
import { runFakeNodes } from '../../pkg/kubelet/fake-nodes.js';
import { parseNodeLabels, parseTaints } from '../../pkg/kubelet/node-status.js';
import { DEFAULT_POD_INFRA_IMAGE, DockerRuntime } from '../../pkg/kubelet/runtime/docker/docker-runtime.js';
import { FakeRuntime } from '../../pkg/kubelet/runtime/fake-runtime.js';

const flags = parseFlags('kubelet', {
  master: { type: 'string', description: 'The address of the Kubernetes API server (overrides any value in kubeconfig).' },
  kubeconfig: { type: 'string', description: 'Path to a kubeconfig file, specifying how to connect to the API server.' },
  'node-name': { type: 'string', default: os.hostname(), description: 'The name of the Node this kubelet registers.' },
  runtime: { type: 'string', default: 'docker', description: 'The container runtime: docker or fake.' },
  'docker-endpoint': { type: 'string', default: 'unix:///var/run/docker.sock', description: 'The Docker Engine endpoint.' },
  'pod-infra-container-image': { type: 'string', default: DEFAULT_POD_INFRA_IMAGE, description: 'The image whose network/IPC namespaces containers in each pod use.' },
  port: { type: 'string', default: '10250', description: 'The port for the kubelet to serve on.' },
  address: { type: 'string', default: '127.0.0.1', description: 'The IP address for the kubelet to serve on; also the node InternalIP.' },
  'node-labels': { type: 'string', default: '', description: 'Labels to add when registering the node (key=value,...).' },
  'register-with-taints': { type: 'string', default: '', description: 'Register the node with the given taints (key=value:Effect,...).' },
  'max-pods': { type: 'string', default: String(DEFAULT_MAX_PODS), description: 'Number of pods that can run on this kubelet.' },
  cpu: { type: 'string', default: '', description: 'The node cpu capacity (default: the host\'s cores).' },
  memory: { type: 'string', default: '', description: 'The node memory capacity (default: the host\'s memory).' },
  'root-dir': { type: 'string', default: '', description: 'Directory for the kubelet\'s files (volumes) (default /var/lib/tskube-kubelet/<node-name>).' },
  'node-status-update-frequency': { type: 'string', default: '10s', description: 'How often the kubelet posts node status.' },
  'node-lease-renew-interval': { type: 'string', default: '10s', description: 'How often the kubelet renews its node Lease.' },
  'sync-frequency': { type: 'string', default: '1m0s', description: 'Max period between synchronizing running containers and config.' },
  'fake-nodes': { type: 'string', default: '0', description: 'With --runtime=fake: run this many hollow nodes named <node-name>-<i>.' },
});

/** `10s`, `500ms`, `1m`, or plain seconds. */
const log = componentLogger('kubelet');
const nodeName = flags['node-name'].toLowerCase();
const abort = new AbortController();
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down; pods keep running');
    abort.abort(new Error(sig));
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}

try {
  const client = new RestClient({ ...(await clientConfigFromFlags(flags)), userAgent: `kubelet/v1.32.0-tskube (linux/amd64) ${nodeName}` });
  const common = {
    client,
    address: flags.address,
    port: intFlag('port', flags.port),
    maxPods: intFlag('max-pods', flags['max-pods']),
    ...(flags.cpu ? { cpu: flags.cpu } : {}),
    ...(flags.memory ? { memory: flags.memory } : {}),
    nodeLabels: parseNodeLabels(flags['node-labels']),
    taints: parseTaints(flags['register-with-taints']),
    rootDir: flags['root-dir'] || `/var/lib/tskube-kubelet/${nodeName}`,
    nodeStatusUpdateFrequencyMs: durationFlag('node-status-update-frequency', flags['node-status-update-frequency']),
    nodeLeaseRenewIntervalMs: durationFlag('node-lease-renew-interval', flags['node-lease-renew-interval']),
    syncFrequencyMs: durationFlag('sync-frequency', flags['sync-frequency']),
  };
  const fakeNodes = intFlag('fake-nodes', flags['fake-nodes']);
  if (flags.runtime === 'fake' && fakeNodes > 0) {
    log.info({ count: fakeNodes, base: nodeName }, 'running hollow nodes');
    await runFakeNodes({ ...common, count: fakeNodes, baseName: nodeName, log }, abort.signal);
  } else if (flags.runtime === 'fake') {
    await new Kubelet({ ...common, nodeName, runtime: new FakeRuntime({ nodeName }), log, probes: false, volumes: false }).run(abort.signal);
  } else if (flags.runtime === 'docker') {
    const endpoint = flags['docker-endpoint'];
    if (!endpoint.startsWith('unix://')) throw new Error(`--docker-endpoint must be unix://PATH, got ${endpoint}`);
    const clusterId = await clusterIdentity(client, abort.signal);
    log.info({ node: nodeName, cluster: clusterId }, 'containers are scoped to this cluster');
    const runtime = new DockerRuntime({ nodeName, clusterId, socketPath: endpoint.slice('unix://'.length), podInfraImage: flags['pod-infra-container-image'] });
    await new Kubelet({ ...common, nodeName, runtime, log }).run(abort.signal);
    await runtime.close();
  } else {
    throw new Error(`unknown --runtime ${flags.runtime}: use docker or fake`);
  }
  await client.close();
  process.exit(0);
} catch (err) {
  if (abort.signal.aborted) process.exit(0);
  log.fatal({ err: String(err) }, 'kubelet failed');
  process.exit(1);
}

/**
 * The kube-system namespace's uid, Kubernetes' customary cluster ID: containers are labelled
 * with it so that two clusters on one Docker host never adopt or remove each other's pods.
 * Waits for the apiserver, as the kubelet does at start anyway.
 */
async function clusterIdentity(client: RestClient, signal: AbortSignal): Promise<string> {
  for (;;) {
    try {
      const ns = await client.resource('namespaces').get('', 'kube-system');
      if (ns.metadata?.uid) return ns.metadata.uid;
    } catch { /* apiserver not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
    if (signal.aborted) throw new Error('stopped before the apiserver answered');
  }
}
