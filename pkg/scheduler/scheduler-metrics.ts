// Prometheus metrics under kube-scheduler's names (pkg/scheduler/metrics/metrics.go), so
// dashboards and alerts written for Kubernetes read ours unchanged.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The `result` label values upstream uses. */
export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly scheduleAttempts = new Counter({
    name: 'scheduler_schedule_attempts_total',
    help: 'Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
    labelNames: ['result', 'profile'], registers: [this.registry],
  });
  readonly schedulingAttemptDuration = new Histogram({
    name: 'scheduler_scheduling_attempt_duration_seconds',
    help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
    labelNames: ['result', 'profile'],
    // ExponentialBuckets(0.001, 2, 15), as upstream.
    buckets: Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i),
    registers: [this.registry],
  });
  readonly pendingPods: Gauge;
  readonly preemptionVictims = new Histogram({
    name: 'scheduler_preemption_victims', help: 'Number of selected preemption victims',
    buckets: Array.from({ length: 7 }, (_, i) => 2 ** i), registers: [this.registry],
  });
  readonly preemptionAttempts = new Counter({
    name: 'scheduler_preemption_attempts_total', help: 'Total preemption attempts in the cluster till now', registers: [this.registry],
  });

  /** `pending` reads the queue's sub-queue sizes at scrape time. */
  constructor(pending: () => { active: number; backoff: number; unschedulable: number }) {
    this.pendingPods = new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type. \'active\' means number of pods in activeQ; \'backoff\' means number of pods in backoffQ; \'unschedulable\' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; \'gated\' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.',
      labelNames: ['queue'], registers: [this.registry],
      collect() {
        const p = pending();
        this.set({ queue: 'active' }, p.active);
        this.set({ queue: 'backoff' }, p.backoff);
        this.set({ queue: 'unschedulable' }, p.unschedulable);
        this.set({ queue: 'gated' }, 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  observeAttempt(result: AttemptResult, profile: string, seconds: number): void {
    this.scheduleAttempts.inc({ result, profile });
    this.schedulingAttemptDuration.observe({ result, profile }, seconds);
  }
}
