// apimachinery util/duration.HumanDuration and printers' translateTimestampSince: the
// Age and Last Seen cells kubectl shows as they are.

/** A duration as kubectl prints ages: `45s`, `5m12s`, `3h`, `2d5h`, `2y`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // Up to two seconds in the future is clock skew and reads as now.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${dy}d`;
  }
  return `${Math.floor(days / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing or zero timestamp. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t) || t <= Date.UTC(1, 0, 1)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}
