// --enable-priority-and-fairness=false: upstream's WithMaxInFlightLimit. Two plain limits,
// one for reads and one for writes; beyond them a request is answered 429 at once.
import type { UserInfo } from '../authentication/user.js';

/** system:masters is never turned away: a super-user or loopback client must always get an answer. */
const PRIVILEGED_GROUP = 'system:masters';

export class MaxInFlightLimiter {
  readonly #limits: { readOnly: number; mutating: number };
  #inFlight = { readOnly: 0, mutating: 0 };

  /** A limit of 0 means unlimited, as upstream. */
  constructor(readOnlyLimit: number, mutatingLimit: number) {
    this.#limits = { readOnly: readOnlyLimit, mutating: mutatingLimit };
  }

  get inFlight(): Readonly<{ readOnly: number; mutating: number }> { return this.#inFlight; }

  /** A release function when the request may run now, undefined when it must get 429. */
  tryAcquire(kind: 'readOnly' | 'mutating', user: UserInfo): (() => void) | undefined {
    const limit = this.#limits[kind];
    if (limit > 0 && this.#inFlight[kind] >= limit) {
      if (!user.groups.includes(PRIVILEGED_GROUP)) return undefined;
      return () => undefined;  // served uncounted, as upstream
    }
    this.#inFlight[kind]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight[kind]--;
    };
  }
}
