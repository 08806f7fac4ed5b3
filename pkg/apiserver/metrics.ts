// Prometheus metrics with the names kube-apiserver uses, so dashboards carry over.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FlowControlMetrics } from './flowcontrol/dispatcher.js';
import type { RejectReason } from './flowcontrol/queue-set.js';

/** Upstream's buckets for the priority and fairness wait and execution histograms. */
const FLOW_CONTROL_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'], registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, group, version, resource and subresource.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly watchers: Gauge;
  /** Requests answered 429 by max-in-flight or priority and fairness, by request_kind (readOnly, mutating). */
  readonly droppedRequests = new Counter({
    name: 'apiserver_dropped_requests_total', help: 'Number of requests dropped with \'Too many requests\' response.',
    labelNames: ['request_kind'], registers: [this.registry],
  });
  readonly flowControlRejected = new Counter({
    name: 'apiserver_flowcontrol_rejected_requests_total', help: 'Number of requests rejected by API Priority and Fairness subsystem.',
    labelNames: ['priority_level', 'flow_schema', 'reason'], registers: [this.registry],
  });
  readonly flowControlDispatched = new Counter({
    name: 'apiserver_flowcontrol_dispatched_requests_total', help: 'Number of requests executed by API Priority and Fairness subsystem.',
    labelNames: ['priority_level', 'flow_schema'], registers: [this.registry],
  });
  readonly flowControlInQueue = new Gauge({
    name: 'apiserver_flowcontrol_current_inqueue_requests', help: 'Number of requests currently pending in queues of the API Priority and Fairness subsystem.',
    labelNames: ['priority_level', 'flow_schema'], registers: [this.registry],
  });
  readonly flowControlExecutingSeats = new Gauge({
    name: 'apiserver_flowcontrol_current_executing_seats', help: 'Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem.',
    labelNames: ['priority_level', 'flow_schema'], registers: [this.registry],
  });
  readonly flowControlNominalLimit = new Gauge({
    name: 'apiserver_flowcontrol_nominal_limit_seats', help: 'Nominal number of execution seats configured for each priority level.',
    labelNames: ['priority_level'], registers: [this.registry],
  });
  readonly flowControlWait = new Histogram({
    name: 'apiserver_flowcontrol_request_wait_duration_seconds', help: 'Length of time a request spent waiting in its queue',
    labelNames: ['priority_level', 'flow_schema', 'execute'], buckets: FLOW_CONTROL_BUCKETS, registers: [this.registry],
  });
  readonly flowControlExecution = new Histogram({
    name: 'apiserver_flowcontrol_request_execution_seconds', help: 'Duration of initial stage (for a WATCH) or any (for a non-WATCH) stage of request execution in the API Priority and Fairness subsystem',
    labelNames: ['priority_level', 'flow_schema'], buckets: FLOW_CONTROL_BUCKETS, registers: [this.registry],
  });
  /** What the priority and fairness dispatcher reports, under upstream's metric names. */
  readonly flowControl: FlowControlMetrics & { dropped(kind: 'readOnly' | 'mutating'): void } = {
    rejected: (pl: string, fs: string, reason: RejectReason) => this.flowControlRejected.inc({ priority_level: pl, flow_schema: fs, reason }),
    dispatched: (pl: string, fs: string) => this.flowControlDispatched.inc({ priority_level: pl, flow_schema: fs }),
    inQueue: (pl: string, fs: string, delta: number) => this.flowControlInQueue.inc({ priority_level: pl, flow_schema: fs }, delta),
    executingSeats: (pl: string, fs: string, delta: number) => this.flowControlExecutingSeats.inc({ priority_level: pl, flow_schema: fs }, delta),
    nominalLimitSeats: (pl: string, seats: number) => this.flowControlNominalLimit.set({ priority_level: pl }, seats),
    dropped: (kind: 'readOnly' | 'mutating') => this.droppedRequests.inc({ request_kind: kind }),
    waited: (pl: string, fs: string, executed: boolean, seconds: number) => this.flowControlWait.observe({ priority_level: pl, flow_schema: fs, execute: String(executed) }, seconds),
    executed: (pl: string, fs: string, seconds: number) => this.flowControlExecution.observe({ priority_level: pl, flow_schema: fs }, seconds),
  };
  /**
   * The label sets seen so far, each with its series: prom-client otherwise checks and hashes
   * the labels on every request. Verbs, resources and codes are few, so this stays small.
   */
  readonly #series = new Map<string, { inc(): void; observe?(seconds: number): void }>();

  constructor(openWatches: () => number) {
    this.watchers = new Gauge({
      name: 'apiserver_longrunning_requests', help: 'Gauge of all active long-running apiserver requests (watches).',
      labelNames: ['verb'], registers: [this.registry],
      collect() { this.set({ verb: 'WATCH' }, openWatches()); },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** One finished request: counted by code, and its latency observed unless it is a watch. */
  request(labels: RequestLabels, code: number, seconds: number): void {
    const key = `${labels.verb} ${labels.group} ${labels.version} ${labels.resource} ${labels.subresource} ${code}`;
    let series = this.#series.get(key);
    if (!series) {
      const counter = this.requests.labels({ ...labels, code: String(code) });
      const histogram = labels.verb === 'WATCH' ? undefined : this.latency.labels(labels);
      series = { inc: () => counter.inc(), ...(histogram ? { observe: (s: number) => histogram.observe(s) } : {}) };
      this.#series.set(key, series);
    }
    series.inc();
    series.observe?.(seconds);
  }
}

export interface RequestLabels { verb: string; group: string; version: string; resource: string; subresource: string }

/** Kubernetes' verb names: list vs get, watch vs list, deletecollection. */
export function requestVerb(method: string, hasName: boolean, isWatch: boolean): string {
  switch (method) {
    case 'GET': return isWatch ? 'WATCH' : hasName ? 'GET' : 'LIST';
    case 'POST': return 'POST';
    case 'PUT': return 'PUT';
    case 'PATCH': return 'PATCH';
    case 'DELETE': return hasName ? 'DELETE' : 'DELETECOLLECTION';
    default: return method;
  }
}
