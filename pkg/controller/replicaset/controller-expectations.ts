// What a controller still expects to see from its own writes (controller_utils.go
// ControllerExpectations / UIDTrackingControllerExpectations). Until the informer has shown
// every pod it created or deleted, the cache is behind, and syncing again would create or
// delete twice. Expectations older than five minutes count as met, so a lost event can't
// wedge a controller.
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation { add: number; del: number; timestamp: number; deleteKeys: Set<string> }

export class ControllerExpectations {
  readonly #items = new Map<string, Expectation>();
  constructor(readonly now: () => number = Date.now) {}

  /** True when the controller may act on key: nothing outstanding, never set, or expired. */
  satisfiedExpectations(key: string): boolean {
    const e = this.#items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.timestamp > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, adds: number): void { this.#set(key, adds, 0, []); }
  expectDeletions(key: string, podKeys: readonly string[]): void { this.#set(key, 0, podKeys.length, podKeys); }

  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.add--;
  }

  /** Counts a deletion once per pod key, whichever of delete event or failed call comes first. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.#items.get(key);
    if (!e || !e.deleteKeys.delete(podKey)) return;
    e.del--;
  }

  deleteExpectations(key: string): void { this.#items.delete(key); }

  get(key: string): { add: number; del: number } | undefined {
    const e = this.#items.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }

  #set(key: string, add: number, del: number, deleteKeys: readonly string[]): void {
    this.#items.set(key, { add, del, timestamp: this.now(), deleteKeys: new Set(deleteKeys) });
  }
}
