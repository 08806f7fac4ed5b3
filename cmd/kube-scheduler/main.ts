// kube-scheduler: informers sync first (so a standby is warm), then it campaigns for the
// kube-system/kube-scheduler Lease and schedules while it leads. Losing the lease ends the
// process (exit 1), as upstream does; SIGTERM stops scheduling and releases the lease.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { clientConfigFromFlags } from '../../pkg/client/kubeconfig.js';
import { LeaderElector } from '../../pkg/client/leader-election.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { boolFlag, durationFlag, intFlag, parseFlags } from '../../pkg/component/flags.js';
import { startHealthServer } from '../../pkg/component/health-server.js';
import { componentLogger } from '../../pkg/component/logger.js';
import { DEFAULT_SCHEDULER_NAME, Scheduler } from '../../pkg/scheduler/scheduler.js';

const COMPONENT = 'kube-scheduler';
const BOOL_FLAGS = ['leader-elect'];

// Go's flag package takes `--leader-elect=false`; node's parseArgs doesn't, so booleans are
// strings here and a bare `--leader-elect` means true.
const argv = process.argv.slice(2).map((a) => (BOOL_FLAGS.some((f) => a === `--${f}` || a === `-${f}`) ? `${a}=true` : a));
const flags = parseFlags(COMPONENT, {
  master: { type: 'string', description: 'The address of the Kubernetes API server (overrides any value in kubeconfig)' },
  kubeconfig: { type: 'string', description: 'Path to kubeconfig file with authorization and master location information' },
  'leader-elect': { type: 'string', default: 'true', description: 'Start a leader election client and gain leadership before executing the main loop. Enable this when running replicated components for high availability.' },
  'leader-elect-lease-duration': { type: 'string', default: '15s', description: 'The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership of a led but unrenewed leader slot.' },
  'leader-elect-renew-deadline': { type: 'string', default: '10s', description: 'The interval between attempts by the acting master to renew a leadership slot before it stops leading. This must be less than the lease duration.' },
  'leader-elect-retry-period': { type: 'string', default: '2s', description: 'The duration the clients should wait between attempting acquisition and renewal of a leadership.' },
  'leader-elect-resource-name': { type: 'string', default: 'kube-scheduler', description: 'The name of resource object that is used for locking during leader election.' },
  'leader-elect-resource-namespace': { type: 'string', default: 'kube-system', description: 'The namespace of resource object that is used for locking during leader election.' },
  'scheduler-name': { type: 'string', default: DEFAULT_SCHEDULER_NAME, description: 'Pods whose spec.schedulerName is this are scheduled by this scheduler.' },
  port: { type: 'string', default: '10259', description: 'The port on which to serve /healthz and /metrics over plain HTTP. 0 disables it.' },
  'bind-address': { type: 'string', default: '127.0.0.1', description: 'The IP address on which to listen for the --port port.' },
}, argv);

const log = componentLogger(COMPONENT);


const leaderElect = boolFlag('leader-elect', flags['leader-elect']);
const port = intFlag('port', flags.port);
const leaseDurationMs = durationFlag('leader-elect-lease-duration', flags['leader-elect-lease-duration']);
const renewDeadlineMs = durationFlag('leader-elect-renew-deadline', flags['leader-elect-renew-deadline']);
const retryPeriodMs = durationFlag('leader-elect-retry-period', flags['leader-elect-retry-period']);

if (leaderElect && !(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > 1.2 * retryPeriodMs)) {
  process.stderr.write('invalid leader election configuration: leaseDuration must be greater than renewDeadline, and renewDeadline greater than retryPeriod*1.2\n');
  process.exit(2);
}

const config = await clientConfigFromFlags({ master: flags.master || undefined, kubeconfig: flags.kubeconfig || undefined }).catch((err: unknown) => {
  log.fatal({ err: String(err) }, 'Unable to build the client configuration');
  process.exit(1);
});
const client = new RestClient({ ...config, userAgent: `${COMPONENT}/v0.1.0` });
const identity = `${hostname()}_${randomUUID()}`;
const scheduler = new Scheduler({ client, schedulerName: flags['scheduler-name'], logger: log, host: hostname() });

const ac = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    log.info({ signal: sig }, 'Received signal, shutting down');
    ac.abort();
  });
}

const server = port === 0 ? undefined : await startHealthServer({
  port, bindAddress: flags['bind-address'], registry: scheduler.metrics.registry, log,
  notReady: () => (scheduler.hasSynced() ? undefined : 'sched-handler-sync'),
}).catch((err: unknown) => {
  log.fatal({ err: String(err), port }, 'Failed to listen');
  process.exit(1);
});
if (server) log.info({ address: flags['bind-address'], port: server.port }, 'Serving /healthz and /metrics insecurely');

log.info({ schedulerName: scheduler.schedulerName, identity, leaderElect }, 'Starting kube-scheduler');
if (await scheduler.startInformers(ac.signal)) log.info({}, 'Informer caches are synced');

let exitCode = 0;
if (!ac.signal.aborted) {
  if (!leaderElect) {
    await scheduler.run(ac.signal);
  } else {
    const elector = new LeaderElector({
      client, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs,
      namespace: flags['leader-elect-resource-namespace'], name: flags['leader-elect-resource-name'],
      releaseOnCancel: true,
      onNewLeader: (leader) => log.info({ identity: leader }, leader === identity ? 'Acquired lease' : 'New leader elected'),
      onError: (err) => log.warn({ err: String(err) }, 'Leader election request failed'),
    });
    let scheduling: Promise<void> = Promise.resolve();
    await elector.run({
      signal: ac.signal,
      onStartedLeading: (signal) => {
        log.info({ identity }, 'Started leading');
        scheduling = scheduler.run(signal);
      },
    });
    await scheduling;
    if (!ac.signal.aborted) {
      log.error({ identity }, 'Leaderelection lost');
      exitCode = 1;
    }
  }
}

ac.abort();
await scheduler.shutdownInformers();
await server?.close();
await client.destroy();
process.exit(exitCode);
