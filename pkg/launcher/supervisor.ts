// Keeps the cluster's child processes running: each one is spawned with its output appended to
// its log file, and restarted with exponential back-off when it dies unless we are stopping it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from './readiness.js';

export interface ComponentSpec {
  /** Also the log file's name: logs/<name>.log. */
  name: string;
  command: string;
  args: string[];
  logPath: string;
  /** The port its health endpoint listens on, recorded for `status`. */
  port?: number;
  /** One probe: is it ready now? */
  ready: () => Promise<boolean>;
  /** How long SIGTERM may take before SIGKILL. */
  stopTimeoutMs?: number;
  /** The environment, when not this process's own. */
  env?: NodeJS.ProcessEnv;
}

export type SupervisorEvent =
  | { type: 'exited'; name: string; code: number | null; signal: NodeJS.Signals | null; error?: string; restartInMs: number; logPath: string }
  | { type: 'ready-again'; name: string; ms: number }
  | { type: 'changed' };

const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
// A process that ran this long before dying starts its back-off over, like the kubelet's
// CrashLoopBackOff reset.
const BACKOFF_RESET_AFTER_MS = 30_000;
const READY_AGAIN_TIMEOUT_MS = 120_000;

export class SupervisedProcess {
  readonly spec: ComponentSpec;
  readonly #emit: (e: SupervisorEvent) => void;
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #backoffMs = 0;
  #stopping = false;
  #restartTimer: AbortController | undefined;
  restarts = 0;

  constructor(spec: ComponentSpec, emit: (e: SupervisorEvent) => void) {
    this.spec = spec;
    this.#emit = emit;
  }

  get pid(): number | undefined { return this.#isRunning() ? this.#child?.pid : undefined; }
  get startedAt(): Date { return new Date(this.#startedAt); }

  start(): void {
    this.#startedAt = Date.now();
    const fd = openSync(this.spec.logPath, 'a');
    writeSync(fd, `${JSON.stringify({ level: 30, time: Date.now(), component: 'tskube', msg: `starting ${this.spec.name}`, command: [this.spec.command, ...this.spec.args] })}\n`);
    // Detached: its own process group, so a terminal's Ctrl-C reaches only the launcher, which
    // then stops the components in order instead of all of them dying at once.
    const child = spawn(this.spec.command, this.spec.args, { stdio: ['ignore', fd, fd], detached: true, ...(this.spec.env ? { env: this.spec.env } : {}) });
    closeSync(fd);
    this.#child = child;
    let reported = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
      if (reported) return;
      reported = true;
      this.#onExit(code, signal, error);
    };
    child.once('error', (e) => onGone(null, null, e.message));
    child.once('exit', (code, signal) => onGone(code, signal));
    this.#emit({ type: 'changed' });
  }

  /** Polls the readiness probe until it passes or the timeout; false also once we are stopping. */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return pollUntil(this.spec.ready, { timeoutMs, intervalMs: 100, ...(signal ? { signal } : {}) }, () => this.#stopping);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#restartTimer?.abort();
    const child = this.#child;
    if (!child || !this.#isRunning()) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timeoutMs = this.spec.stopTimeoutMs ?? 10_000;
    const timer = new AbortController();
    const killed = sleep(timeoutMs, 'timeout', { signal: timer.signal }).catch(() => 'exited');
    if ((await Promise.race([exited.then(() => 'exited'), killed])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    timer.abort();
    this.#emit({ type: 'changed' });
  }

  #isRunning(): boolean {
    const c = this.#child;
    return c !== undefined && c.pid !== undefined && c.exitCode === null && c.signalCode === null;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    this.#emit({ type: 'changed' });
    if (this.#stopping) return;
    const ranMs = Date.now() - this.#startedAt;
    this.#backoffMs = ranMs >= BACKOFF_RESET_AFTER_MS || this.#backoffMs === 0
      ? INITIAL_BACKOFF_MS
      : Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#emit({
      type: 'exited', name: this.spec.name, code, signal, restartInMs: this.#backoffMs, logPath: this.spec.logPath,
      ...(error !== undefined ? { error } : {}),
    });
    const timer = new AbortController();
    this.#restartTimer = timer;
    void sleep(this.#backoffMs, undefined, { signal: timer.signal }).then(async () => {
      if (this.#stopping) return;
      this.restarts++;
      this.start();
      const t0 = Date.now();
      if (await this.waitReady(READY_AGAIN_TIMEOUT_MS, timer.signal)) this.#emit({ type: 'ready-again', name: this.spec.name, ms: Date.now() - t0 });
    }, () => undefined);
  }
}

/** The processes in start order; stopped in reverse order, one stage at a time. */
export class Supervisor {
  readonly #stages: SupervisedProcess[][] = [];
  readonly #emit: (e: SupervisorEvent) => void;

  constructor(emit: (e: SupervisorEvent) => void) { this.#emit = emit; }

  get processes(): SupervisedProcess[] { return this.#stages.flat(); }

  /** Starts the specs together as one stage (e.g. all kubelets), stopped together too. */
  startStage(specs: ComponentSpec[]): SupervisedProcess[] {
    const stage = specs.map((s) => new SupervisedProcess(s, this.#emit));
    this.#stages.push(stage);
    for (const p of stage) p.start();
    return stage;
  }

  async stopAll(): Promise<void> {
    for (const stage of [...this.#stages].reverse()) await Promise.all(stage.map((p) => p.stop()));
  }
}
