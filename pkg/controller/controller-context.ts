// What kube-controller-manager hands every controller it starts (upstream ControllerContext):
// one client, one shared informer factory (so all controllers share one cache per resource),
// an event recorder per controller, a logger, a clock, and the parsed command-line options.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';

/** kube-controller-manager's flags that controllers read; durations in milliseconds. */
export interface ControllerOptions {
  concurrentReplicaSetSyncs: number;
  concurrentDeploymentSyncs: number;
  concurrentGcSyncs: number;
  concurrentNamespaceSyncs: number;
  concurrentServiceAccountTokenSyncs: number;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  nodeStartupGracePeriodMs: number;
  podEvictionTimeoutMs: number;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  /** How often the namespace controller resyncs every namespace (upstream --namespace-sync-period). */
  namespaceSyncPeriodMs: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  concurrentReplicaSetSyncs: 5,
  concurrentDeploymentSyncs: 5,
  concurrentGcSyncs: 20,
  concurrentNamespaceSyncs: 10,
  concurrentServiceAccountTokenSyncs: 5,
  nodeMonitorGracePeriodMs: 40_000,
  nodeMonitorPeriodMs: 5_000,
  nodeStartupGracePeriodMs: 60_000,
  podEvictionTimeoutMs: 300_000,
  defaultNotReadyTolerationSeconds: 300,
  defaultUnreachableTolerationSeconds: 300,
  namespaceSyncPeriodMs: 300_000,
};

export interface ControllerContext {
  client: RestClient;
  informers: InformerFactory;
  /** The recorder of one controller; its events' source.component is that name ("replicaset-controller"). */
  eventRecorder(component: string): EventRecorder;
  logger: Logger;
  clock: Clock;
  options: ControllerOptions;
}

export interface ControllerContextInit {
  client: RestClient;
  informers: InformerFactory;
  logger: Logger;
  clock?: Clock;
  options?: Partial<ControllerOptions>;
  /** Recorded as each event's source.host. */
  host?: string;
}

export function newControllerContext(init: ControllerContextInit): ControllerContext {
  const clock = init.clock ?? realClock;
  const recorders = new Map<string, EventRecorder>();
  return {
    client: init.client,
    informers: init.informers,
    logger: init.logger,
    clock,
    options: { ...DEFAULT_CONTROLLER_OPTIONS, ...init.options },
    eventRecorder(component) {
      let r = recorders.get(component);
      if (!r) {
        r = new EventRecorder(init.client, {
          component, clock,
          ...(init.host ? { host: init.host } : {}),
          onError: (err, ev) => init.logger.warn({ err, reason: ev.reason, object: ev.involvedObject.name }, 'Could not write event'),
        });
        recorders.set(component, r);
      }
      return r;
    },
  };
}
