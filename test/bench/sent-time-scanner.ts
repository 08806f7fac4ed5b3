// The fan-out bench's watchers read only what they measure: the send time each bench event
// carries as `"sent":"<ms>"`, found with indexOf in the raw newline-delimited JSON, with no
// decoding or JSON.parse per event. A line may arrive split across chunks.
const MARKER = Buffer.from('"sent":"');
const NEWLINE = 0x0a;
const QUOTE = 0x22;

export class SentTimeScanner {
  #tail: Buffer | undefined;

  /** Appends the send time of each complete line in `chunk` that carries one to `sent`; returns how many. */
  push(chunk: Buffer, sent: number[]): number {
    const buf = this.#tail ? Buffer.concat([this.#tail, chunk]) : chunk;
    let found = 0;
    let start = 0;
    // The next marker at or after `start`; -1 once there is none left in buf.
    let marker = buf.indexOf(MARKER);
    for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      if (marker >= 0 && marker < start) marker = buf.indexOf(MARKER, start);
      if (marker >= 0 && marker < nl) {
        const from = marker + MARKER.length;
        const to = buf.indexOf(QUOTE, from);
        const ms = Number(buf.toString('latin1', from, to < 0 || to > nl ? nl : to));
        if (Number.isFinite(ms)) { sent.push(ms); found++; }
      }
      start = nl + 1;
    }
    // Copied, so a long-lived watcher does not pin every chunk it was cut from.
    this.#tail = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    return found;
  }
}
