// Work that arrives piece by piece during one turn of the event loop (the requests whose bytes
// came in together, the etcd answers that came back together) and is better done in one go at
// the end of that turn: one message to a thread instead of many, one run of the same code over
// every item while it is hot.
/** Collects items and hands them to `flush` in one batch, in arrival order, at the end of the turn. */
export function batchPerTurn<T>(flush: (items: T[]) => void): (item: T) => void {
  let items: T[] = [];
  return (item) => {
    if (items.push(item) > 1) return;
    setImmediate(() => { const out = items; items = []; flush(out); });
  };
}
