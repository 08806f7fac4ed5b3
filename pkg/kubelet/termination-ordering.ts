// The order in which a pod with sidecars stops (kuberuntime_termination_order.go): every
// container gets its Killing event and preStop hook at once, but a sidecar is sent its stop
// signal only once all app containers have stopped, and then only after the sidecars declared
// after it: sidecars stop in reverse order. Nobody waits longer than the grace period left.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import type { DeepReadonly } from '../client/lister.js';
import { isRestartableInitContainer } from './plan.js';

interface Gate { done: Promise<void>; open(): void }

function gate(): Gate {
  let open!: () => void;
  const done = new Promise<void>((resolve) => { open = resolve; });
  return { done, open };
}

export class TerminationOrdering {
  readonly #clock: Clock;
  /** Container name → opens once it has stopped (at once for one that is not running). */
  readonly #terminated = new Map<string, Gate>();
  /** Container name → what must stop before it may. */
  readonly #prereqs = new Map<string, Promise<void>[]>();

  constructor(pod: Pod | DeepReadonly<Pod>, runningContainerNames: Iterable<string>, clock: Clock) {
    this.#clock = clock;
    const running = new Set(runningContainerNames);
    const track = (name: string): Gate => {
      const g = gate();
      this.#terminated.set(name, g);
      if (!running.has(name)) g.open();
      return g;
    };
    const apps = (pod.spec?.containers ?? []).map((c) => track(c.name).done);
    let laterSidecar: Promise<void> | undefined;
    const inits: readonly (Container | DeepReadonly<Container>)[] = pod.spec?.initContainers ?? [];
    for (const c of [...inits].reverse()) {
      const g = track(c.name);
      if (!isRestartableInitContainer(c)) continue;
      this.#prereqs.set(c.name, [...apps, ...(laterSidecar ? [laterSidecar] : [])]);
      laterSidecar = g.done;
    }
  }

  /** Resolves once it is the container's turn to stop, or once gracePeriodSeconds have passed. */
  async waitForTurn(name: string, gracePeriodSeconds: number): Promise<void> {
    const prereqs = this.#prereqs.get(name);
    if (!prereqs?.length || gracePeriodSeconds <= 0) return;
    const timeout = new AbortController();
    try {
      await Promise.race([
        Promise.all(prereqs),
        this.#clock.sleep(gracePeriodSeconds * 1000, timeout.signal).catch(() => undefined),
      ]);
    } finally {
      timeout.abort();
    }
  }

  /** The container has stopped: those waiting on it may go. */
  containerTerminated(name: string): void {
    this.#terminated.get(name)?.open();
  }
}
