// Time as the client library sees it. Queues, rate limiters, reflectors and leader election
// take a Clock so tests can step time instead of sleeping (client-go's k8s.io/utils/clock).

export interface TimerHandle { cancel(): void }

export interface Clock {
  now(): number;
  /** Calls fn after ms; the returned handle cancels it. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Resolves after ms, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms, signal) => sleepOn(realClock, ms, signal),
};

/** A sleep built on any clock's timers, honouring AbortSignal. */
export function sleepOn(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const onAbort = () => { timer.cancel(); reject(signal?.reason); };
    const timer = clock.setTimer(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
