// Kubelet messages embed Go's formatting of durations (%v of time.Duration) and strings (%q);
// users grep events for them, so they are reproduced here rather than approximated.

/** time.Duration.String() for a whole or fractional number of seconds: 1s, 1.5s, 1m30s, 2h0m0s, 500ms. */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds < 1) {
    const ms = seconds * 1000;
    return ms >= 1 ? `${trimZeros(ms)}ms` : `${trimZeros(ms * 1000)}µs`;
  }
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds - h * 3600 - m * 60;
  if (h > 0) return `${h}h${m}m${trimZeros(s)}s`;
  if (m > 0) return `${m}m${trimZeros(s)}s`;
  return `${trimZeros(s)}s`;
}

function trimZeros(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** fmt's %q: a double-quoted Go string literal with Go's escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\v': out += '\\v'; break;
      default:
        if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
        else if (c === 0xfffd) out += '\\ufffd';
        else out += ch;
    }
  }
  return `${out}"`;
}

/** fmt's %v of a []string: [a b c]. */
export function goStringSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}
