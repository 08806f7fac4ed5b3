// A binary heap with lookup by key (upstream's internal/heap): activeQ holds thousands of
// pods during a burst, and adding, updating or removing one must not walk them all.
// Items that `less` finds equal come out in the order they were last pushed.

interface Entry<T> {
  item: T;
  /** Push order: breaks ties so equal items are first in, first out. */
  seq: number;
  index: number;
}

export class KeyedHeap<T> {
  readonly #less: (a: T, b: T) => boolean;
  readonly #key: (item: T) => string;
  readonly #entries: Entry<T>[] = [];
  readonly #byKey = new Map<string, Entry<T>>();
  #seq = 0;

  constructor(less: (a: T, b: T) => boolean, key: (item: T) => string) {
    this.#less = less;
    this.#key = key;
  }

  get size(): number {
    return this.#entries.length;
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  get(key: string): T | undefined {
    return this.#byKey.get(key)?.item;
  }

  /** Adds the item, or replaces the one with its key; either way it queues behind its equals. */
  push(item: T): void {
    const key = this.#key(item);
    const existing = this.#byKey.get(key);
    if (existing) {
      existing.item = item;
      existing.seq = ++this.#seq;
      this.#fix(existing.index);
      return;
    }
    const entry: Entry<T> = { item, seq: ++this.#seq, index: this.#entries.length };
    this.#entries.push(entry);
    this.#byKey.set(key, entry);
    this.#up(entry.index);
  }

  pop(): T | undefined {
    const top = this.#entries[0];
    if (!top) return undefined;
    this.#removeAt(0);
    return top.item;
  }

  delete(key: string): T | undefined {
    const entry = this.#byKey.get(key);
    if (!entry) return undefined;
    this.#removeAt(entry.index);
    return entry.item;
  }

  #removeAt(i: number): void {
    const entries = this.#entries;
    const entry = entries[i]!;
    this.#byKey.delete(this.#key(entry.item));
    const last = entries.pop()!;
    if (last === entry) return;
    entries[i] = last;
    last.index = i;
    this.#fix(i);
  }

  #before(a: Entry<T>, b: Entry<T>): boolean {
    if (this.#less(a.item, b.item)) return true;
    if (this.#less(b.item, a.item)) return false;
    return a.seq < b.seq;
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const entries = this.#entries;
    const a = entries[i]!;
    const b = entries[j]!;
    entries[i] = b;
    entries[j] = a;
    a.index = j;
    b.index = i;
  }

  /** Returns whether the entry moved. */
  #up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(this.#entries[i]!, this.#entries[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i !== start;
  }

  #down(i: number): void {
    const n = this.#entries.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      let child = left;
      const right = left + 1;
      if (right < n && this.#before(this.#entries[right]!, this.#entries[left]!)) child = right;
      if (!this.#before(this.#entries[child]!, this.#entries[i]!)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}
