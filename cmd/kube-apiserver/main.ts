#!/usr/bin/env node
// kube-apiserver: the Kubernetes API over a real etcd; the only component that talks to etcd.
import { EtcdStorage } from '../../pkg/storage/etcd-storage.js';
import { buildServer, type ApiServer } from '../../pkg/apiserver/server.js';
import { componentProbes } from '../../pkg/apiserver/handlers/component-statuses.js';
import { componentLogger } from '../../pkg/component/logger.js';
import { boolFlag, intFlag, parseFlags } from '../../pkg/component/flags.js';
import { parseGoDuration } from '../../pkg/component/go-duration.js';

const flags = parseFlags('kube-apiserver', {
  'etcd-servers': { type: 'string', default: 'http://127.0.0.1:2379', description: 'List of etcd servers to connect with (scheme://ip:port), comma separated.' },
  'etcd-prefix': { type: 'string', default: '/registry', description: 'The prefix to prepend to all resource paths in etcd.' },
  'insecure-bind-address': { type: 'string', default: '127.0.0.1', description: 'The address to serve the unauthenticated local port on.' },
  'insecure-port': { type: 'string', default: '8080', description: 'The port to serve unauthenticated access on (0 disables).' },
  'secure-port': { type: 'string', default: '0', description: 'The port to serve HTTPS with authentication and authorization (not implemented yet; 0 disables).' },
  'max-request-bytes': { type: 'string', default: String(3 * 1024 * 1024), description: 'The largest request body the server accepts, in bytes.' },
  'max-requests-inflight': { type: 'string', default: '400', description: 'The maximum number of non-mutating requests in flight at a given time; with priority and fairness, part of the server\'s total concurrency limit. 0 is unlimited.' },
  'max-mutating-requests-inflight': { type: 'string', default: '200', description: 'The maximum number of mutating requests in flight at a given time; with priority and fairness, part of the server\'s total concurrency limit. 0 is unlimited.' },
  'enable-priority-and-fairness': { type: 'string', default: 'true', description: 'If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness.' },
  // tskube's own: Go's apiserver spreads lists over many cores and a garbage collector that
  // returns memory; one event loop needs its list memory bounded explicitly.
  'max-list-bytes-inflight': { type: 'string', default: String(64 * 1024 * 1024), description: 'The JSON bytes of list responses that may be built and sent at once; more lists wait, then get 429 (tskube only).' },
  'request-timeout': { type: 'string', default: '1m0s', description: 'How long a request that is not long-running (watch, logs, exec) may take before it is answered 504 Timeout.' },
  'service-account-issuer': { type: 'string', default: 'https://kubernetes.default.svc.cluster.local', description: 'The iss claim of service account tokens.' },
  // tskube's own: upstream probes fixed local ports; the launcher may have picked others.
  'scheduler-healthz-url': { type: 'string', default: 'http://127.0.0.1:10259/healthz', description: 'What componentstatuses probes for the scheduler (tskube only).' },
  'controller-manager-healthz-url': { type: 'string', default: 'http://127.0.0.1:10257/healthz', description: 'What componentstatuses probes for the controller-manager (tskube only).' },
  'token-auth-file': { type: 'string', default: '', description: 'If set, the file that will be used to secure the secure port of the API server via token authentication (CSV: token,user,uid,"group1,group2").' },
  'service-account-signing-key-file': { type: 'string', default: '', description: 'PEM RSA private key that signs service account tokens (without one, a key made at the first token request that does not outlive the process).' },
});

const log = componentLogger('kube-apiserver');
const etcdServers = flags['etcd-servers'].split(',').map((s) => s.trim()).filter(Boolean);
const storage = new EtcdStorage(etcdServers);
const requestTimeoutMs = parseGoDuration(flags['request-timeout']);
if (requestTimeoutMs === undefined || requestTimeoutMs <= 0) {
  log.fatal({ value: flags['request-timeout'] }, '--request-timeout must be a positive duration');
  process.exit(1);
}
const server = buildOrExit(() => buildServer({ storage, requestTimeoutSeconds: requestTimeoutMs / 1000, etcdPrefix: flags['etcd-prefix'].replace(/\/$/, ''), logger: log, maxRequestBytes: intFlag('max-request-bytes', flags['max-request-bytes']),
  serviceAccountIssuer: flags['service-account-issuer'], serviceAccountSigningKeyFile: flags['service-account-signing-key-file'],
  tokenAuthFile: flags['token-auth-file'] || undefined,
  enablePriorityAndFairness: boolFlag('enable-priority-and-fairness', flags['enable-priority-and-fairness']),
  maxRequestsInflight: intFlag('max-requests-inflight', flags['max-requests-inflight']),
  maxListBytesInflight: intFlag('max-list-bytes-inflight', flags['max-list-bytes-inflight']),
  maxMutatingRequestsInflight: intFlag('max-mutating-requests-inflight', flags['max-mutating-requests-inflight']),
  componentProbes: componentProbes(etcdServers, { scheduler: flags['scheduler-healthz-url'], controllerManager: flags['controller-manager-healthz-url'] }),
}));
if (flags['secure-port'] !== '0') log.warn({ port: flags['secure-port'] }, '--secure-port is not implemented yet; serving only the insecure port');

/** A configuration the server cannot start with (an unreadable token file) is one log line and exit 1. */
function buildOrExit(build: () => ApiServer): ApiServer {
  try {
    return build();
  } catch (e) {
    log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'invalid configuration');
    process.exit(1);
  }
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: ending watches and closing listeners');
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  await server.close().catch(() => undefined);
  await storage.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  // Wait for etcd rather than failing: the launcher may start us first.
  for (let attempt = 0; ; attempt++) {
    try { await server.bootstrap(); break; } catch (e) {
      if (attempt % 10 === 0) log.warn({ err: String(e), etcd: flags['etcd-servers'] }, 'waiting for etcd');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const port = intFlag('insecure-port', flags['insecure-port']);
  const address = await server.app.listen({ host: flags['insecure-bind-address'], port });
  log.info({ address, etcd: flags['etcd-servers'], prefix: flags['etcd-prefix'] }, 'serving');
} catch (e) {
  log.fatal({ err: String(e) }, 'failed to start');
  process.exit(1);
}
