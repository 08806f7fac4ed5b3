// kube-controller-manager: builds every enabled controller on one shared informer factory,
// syncs the caches (so a standby is warm), then campaigns for the kube-system/
// kube-controller-manager Lease and runs the controllers while it leads. Losing the lease
// ends the process (exit 1), as upstream does; SIGTERM stops the controllers and releases it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { InformerFactory } from '../../pkg/client/informer-factory.js';
import { clientConfigFromFlags } from '../../pkg/client/kubeconfig.js';
import { LeaderElector } from '../../pkg/client/leader-election.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { boolFlag, durationFlag, intFlag, parseFlags } from '../../pkg/component/flags.js';
import { startHealthServer } from '../../pkg/component/health-server.js';
import { componentLogger } from '../../pkg/component/logger.js';
import { newControllerContext } from '../../pkg/controller/controller-context.js';
import { CONTROLLER_INITIALIZERS, enabledControllers } from '../../pkg/controller/controllers.js';
import type { Controller } from '../../pkg/controller/run-controller.js';

const COMPONENT = 'kube-controller-manager';
const BOOL_FLAGS = ['leader-elect'];

// Go's flag package takes `--leader-elect=false`; node's parseArgs doesn't, so booleans are
// strings here and a bare `--leader-elect` means true.
const argv = process.argv.slice(2).map((a) => (BOOL_FLAGS.some((f) => a === `--${f}` || a === `-${f}`) ? `${a}=true` : a));
const flags = parseFlags(COMPONENT, {
  master: { type: 'string', description: 'The address of the Kubernetes API server (overrides any value in kubeconfig).' },
  kubeconfig: { type: 'string', description: 'Path to kubeconfig file with authorization and master location information.' },
  'leader-elect': { type: 'string', default: 'true', description: 'Start a leader election client and gain leadership before executing the main loop. Enable this when running replicated components for high availability.' },
  'leader-elect-lease-duration': { type: 'string', default: '15s', description: 'The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership of a led but unrenewed leader slot.' },
  'leader-elect-renew-deadline': { type: 'string', default: '10s', description: 'The interval between attempts by the acting master to renew a leadership slot before it stops leading. This must be less than the lease duration.' },
  'leader-elect-retry-period': { type: 'string', default: '2s', description: 'The duration the clients should wait between attempting acquisition and renewal of a leadership.' },
  'leader-elect-resource-name': { type: 'string', default: 'kube-controller-manager', description: 'The name of resource object that is used for locking during leader election.' },
  'leader-elect-resource-namespace': { type: 'string', default: 'kube-system', description: 'The namespace of resource object that is used for locking during leader election.' },
  controllers: { type: 'string', default: '*', description: "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables the controller named 'foo', '-foo' disables the controller named 'foo'." },
  'concurrent-replicaset-syncs': { type: 'string', default: '5', description: 'The number of replica sets that are allowed to sync concurrently.' },
  'concurrent-deployment-syncs': { type: 'string', default: '5', description: 'The number of deployment objects that are allowed to sync concurrently.' },
  'concurrent-gc-syncs': { type: 'string', default: '20', description: 'The number of garbage collector workers that are allowed to sync concurrently.' },
  'concurrent-namespace-syncs': { type: 'string', default: '10', description: 'The number of namespace objects that are allowed to sync concurrently.' },
  'concurrent-serviceaccount-token-syncs': { type: 'string', default: '5', description: 'The number of service account token objects that are allowed to sync concurrently.' },
  'node-monitor-grace-period': { type: 'string', default: '40s', description: 'Amount of time which we allow running Node to be unresponsive before marking it unhealthy.' },
  'node-monitor-period': { type: 'string', default: '5s', description: 'The period for syncing NodeStatus in cloud-node-lifecycle-controller.' },
  'node-startup-grace-period': { type: 'string', default: '1m0s', description: 'Amount of time which we allow starting Node to be unresponsive before marking it unhealthy.' },
  'pod-eviction-timeout': { type: 'string', default: '5m0s', description: 'The grace period for deleting pods on failed nodes.' },
  'namespace-sync-period': { type: 'string', default: '5m0s', description: 'The period for syncing namespace life-cycle updates.' },
  'default-not-ready-toleration-seconds': { type: 'string', default: '300', description: 'Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration.' },
  'default-unreachable-toleration-seconds': { type: 'string', default: '300', description: 'Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration.' },
  port: { type: 'string', default: '10257', description: 'The port on which to serve /healthz and /metrics over plain HTTP. 0 disables it.' },
  'bind-address': { type: 'string', default: '127.0.0.1', description: 'The IP address on which to listen for the --port port.' },
}, argv);

const log = componentLogger(COMPONENT);


const leaderElect = boolFlag('leader-elect', flags['leader-elect']);
let enabled: string[];
try {
  enabled = enabledControllers(flags.controllers.split(','));
} catch (e) {
  process.stderr.write(`${COMPONENT}: invalid argument for --controllers: ${(e as Error).message}\n`);
  process.exit(2);
}
const port = intFlag('port', flags.port);
const leaseDurationMs = durationFlag('leader-elect-lease-duration', flags['leader-elect-lease-duration']);
const renewDeadlineMs = durationFlag('leader-elect-renew-deadline', flags['leader-elect-renew-deadline']);
const retryPeriodMs = durationFlag('leader-elect-retry-period', flags['leader-elect-retry-period']);
const options = {
  concurrentReplicaSetSyncs: intFlag('concurrent-replicaset-syncs', flags['concurrent-replicaset-syncs']),
  concurrentDeploymentSyncs: intFlag('concurrent-deployment-syncs', flags['concurrent-deployment-syncs']),
  concurrentGcSyncs: intFlag('concurrent-gc-syncs', flags['concurrent-gc-syncs']),
  concurrentNamespaceSyncs: intFlag('concurrent-namespace-syncs', flags['concurrent-namespace-syncs']),
  concurrentServiceAccountTokenSyncs: intFlag('concurrent-serviceaccount-token-syncs', flags['concurrent-serviceaccount-token-syncs']),
  nodeMonitorGracePeriodMs: durationFlag('node-monitor-grace-period', flags['node-monitor-grace-period']),
  nodeMonitorPeriodMs: durationFlag('node-monitor-period', flags['node-monitor-period']),
  nodeStartupGracePeriodMs: durationFlag('node-startup-grace-period', flags['node-startup-grace-period']),
  podEvictionTimeoutMs: durationFlag('pod-eviction-timeout', flags['pod-eviction-timeout']),
  namespaceSyncPeriodMs: durationFlag('namespace-sync-period', flags['namespace-sync-period']),
  defaultNotReadyTolerationSeconds: intFlag('default-not-ready-toleration-seconds', flags['default-not-ready-toleration-seconds']),
  defaultUnreachableTolerationSeconds: intFlag('default-unreachable-toleration-seconds', flags['default-unreachable-toleration-seconds']),
};

const config = await clientConfigFromFlags({ master: flags.master || undefined, kubeconfig: flags.kubeconfig || undefined }).catch((err: unknown) => {
  log.fatal({ err: String(err) }, 'Unable to build the client configuration');
  process.exit(1);
});
const client = new RestClient({ ...config, userAgent: `${COMPONENT}/v0.1.0` });
const identity = `${hostname()}_${randomUUID()}`;
const informers = new InformerFactory(client, { onError: (resource, err) => log.debug({ resource, err: String(err) }, 'Watch failed; retrying') });
const ctx = newControllerContext({ client, informers, logger: log, options, host: hostname() });
const controllers: Controller[] = enabled.flatMap((name) => {
  const init = CONTROLLER_INITIALIZERS[name];
  if (!init) return [];
  log.info({ controller: name }, 'Starting controller');
  return [init(ctx)];
});

const ac = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    log.info({ signal: sig }, 'Received signal, shutting down');
    ac.abort();
  });
}

let synced = false;
let elector: LeaderElector | undefined;
const registry = new Registry();
const leaseName = flags['leader-elect-resource-name'];
new Gauge({
  name: 'leader_election_master_status',
  help: '[ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
  labelNames: ['name'], registers: [registry],
  collect() { this.set({ name: leaseName }, !leaderElect || elector?.isLeader() ? 1 : 0); },
});
new Gauge({
  name: 'workqueue_depth', help: '[ALPHA] Current depth of workqueue', labelNames: ['name'], registers: [registry],
  collect() {
    for (const c of controllers) {
      const q = (c as { queue?: { len(): number } }).queue;
      if (q) this.set({ name: c.name }, q.len());
    }
  },
});
const server = port === 0 ? undefined : await startHealthServer({
  port, bindAddress: flags['bind-address'], registry, log,
  notReady: () => (synced ? undefined : 'informer-sync'),
}).catch((err: unknown) => {
  log.fatal({ err: String(err), port }, 'Failed to listen');
  process.exit(1);
});
if (server) log.info({ address: flags['bind-address'], port: server.port }, 'Serving /healthz and /metrics insecurely');

log.info({ identity, leaderElect, controllers: enabled }, 'Starting kube-controller-manager');
informers.start(ac.signal);
synced = await informers.waitForCacheSync(ac.signal);
if (synced) log.info({}, 'Informer caches are synced');

const runControllers = (signal: AbortSignal) => Promise.all(controllers.map((c) => c.run(signal).catch((err: unknown) => {
  log.error({ controller: c.name, err: String(err) }, 'Controller stopped with an error');
})));

let exitCode = 0;
if (!ac.signal.aborted) {
  if (!leaderElect) {
    await runControllers(ac.signal);
  } else {
    elector = new LeaderElector({
      client, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs,
      namespace: flags['leader-elect-resource-namespace'], name: flags['leader-elect-resource-name'],
      releaseOnCancel: true,
      onNewLeader: (leader) => log.info({ identity: leader }, leader === identity ? 'Acquired lease' : 'New leader elected'),
      onError: (err) => log.debug({ err: String(err) }, 'Leader election request failed'),
    });
    let running: Promise<unknown> = Promise.resolve();
    await elector.run({
      signal: ac.signal,
      onStartedLeading: (signal) => {
        log.info({ identity }, 'Started leading');
        running = runControllers(signal);
      },
    });
    await running;
    if (!ac.signal.aborted) {
      log.error({ identity }, 'Leaderelection lost');
      exitCode = 1;
    }
  }
}

ac.abort();
await informers.shutdown();
await server?.close();
await client.destroy();
process.exit(exitCode);
