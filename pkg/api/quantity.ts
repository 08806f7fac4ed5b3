// resource.Quantity, reduced to what tskube needs: exact parsing into base units and the
// rounding-up MilliValue that the scheduler and the kubelet compare with.
import { memoize } from './memoize.js';

// Digits and an optional fraction, then an optional suffix: a binary or decimal SI
// suffix or a decimal exponent. Same grammar as apimachinery's parseQuantityString.
const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** value = sign * digits * 10^exp10 * 2^exp2, exactly. */
interface ExactQuantity {
  negative: boolean;
  digits: bigint;
  exp10: number;
  exp2: number;
}

// The same few quantities ("100m", "64Mi") are parsed on every pod create; remember them.
const parseExact = memoize((q: string | number): ExactQuantity => {
  const text = typeof q === 'number' ? numberText(q) : q.trim();
  const m = QUANTITY_RE.exec(text);
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', fraction = ''] = number.split('.');
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (suffix in BINARY_EXPONENT) exp2 = BINARY_EXPONENT[suffix] ?? 0;
  else if (suffix in DECIMAL_EXPONENT) exp10 += DECIMAL_EXPONENT[suffix] ?? 0;
  else exp10 += Number.parseInt(suffix.slice(1), 10);
  return { negative: sign === '-', digits: BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0'), exp10, exp2 };
});

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`invalid quantity ${n}`);
  return String(n).replace('e+', 'e');
}

/** The ratio numerator/denominator of a quantity scaled by 10^shift. */
function ratio(e: ExactQuantity, shift: number): { num: bigint; den: bigint } {
  let num = e.digits * 2n ** BigInt(e.exp2);
  let den = 1n;
  const exp = e.exp10 + shift;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  return { num: e.negative ? -num : num, den };
}

/** The quantity in base units ('100m' → 0.1, '1Gi' → 1073741824). Throws on invalid input. */
export const parseQuantity = memoize((q: string | number): number => {
  const { num, den } = ratio(parseExact(q), 0);
  if (den === 1n) return Number(num);
  const whole = num / den;
  return Number(whole) + Number(num - whole * den) / Number(den);
});

/** Integer milli-units, rounded up (away from zero for positives) like Quantity.MilliValue. */
export const milliValue = memoize((q: string | number): number => {
  const { num, den } = ratio(parseExact(q), 3);
  let quotient = num / den;
  if (num % den !== 0n && num > 0n) quotient += 1n;
  return Number(quotient);
});

/** Integer base units, rounded up like Quantity.Value (bytes, pods). */
export const integerValue = memoize((q: string | number): number => {
  const { num, den } = ratio(parseExact(q), 0);
  let quotient = num / den;
  if (num % den !== 0n && num > 0n) quotient += 1n;
  return Number(quotient);
});

export function validQuantity(q: unknown): boolean {
  if (typeof q !== 'string' && typeof q !== 'number') return false;
  try {
    parseExact(q);
    return true;
  } catch {
    return false;
  }
}

/** Canonical cpu: whole cores when exact ('2'), otherwise millicores ('250m'). */
export function formatCpuMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Canonical BinarySI bytes: the largest binary suffix dividing exactly ('128Mi'), else plain bytes. */
export function formatMemoryBytes(bytes: number): string {
  const suffixes = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  if (bytes !== 0 && Number.isInteger(bytes)) {
    for (const s of suffixes) {
      const unit = 2 ** (BINARY_EXPONENT[s] ?? 0);
      if (bytes % unit === 0) return `${bytes / unit}${s}`;
    }
  }
  return String(bytes);
}
