// JSON forms of the apimachinery value types, as their Go MarshalJSON methods write them.
import { nowRfc3339 } from '../api/meta.js';

const NS_PER_SECOND = 1_000_000_000n;

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const digits = rest.toString().padStart(unit.toString().length - 1, '0').replace(/0+$/, '');
  return `${whole}.${digits}`;
}

/** Go's time.Duration.String(): `0s`, `1.5µs`, `100ms`, `2.5s`, `1m0s`, `72h0m0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const sign = nanoseconds < 0n ? '-' : '';
  const u = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 1000n)}µs`;
  if (u < NS_PER_SECOND) return `${sign}${fraction(u, 1_000_000n)}ms`;
  const totalSeconds = u / NS_PER_SECOND;
  const seconds = fraction(u % (60n * NS_PER_SECOND), NS_PER_SECOND);
  const minutes = (totalSeconds / 60n) % 60n;
  const hours = totalSeconds / 3600n;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function checkedDate(ms: number): Date {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  // Go refuses to marshal times outside [0,9999]; so do we rather than print `+010000-...`.
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) {
    throw new RangeError('Time.MarshalJSON: year outside of range [0,9999]');
  }
  return d;
}

/**
 * metav1.Time: RFC 3339 in UTC, whole seconds. Its protobuf Unmarshal keeps only the
 * seconds (upstream drops nanos so JSON and protobuf clients store the same value).
 */
export function formatGoTime(seconds: number): string {
  return nowRfc3339(checkedDate(seconds * 1000));
}

/** metav1.MicroTime: RFC 3339 in UTC with exactly six fraction digits. */
export function formatGoMicroTime(seconds: number, nanos: number): string {
  const totalMicros = seconds * 1_000_000 + Math.floor(nanos / 1000);
  const wholeSeconds = Math.floor(totalMicros / 1_000_000);
  const micros = totalMicros - wholeSeconds * 1_000_000;
  const base = nowRfc3339(checkedDate(wholeSeconds * 1000)).replace(/Z$/, '');
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}
