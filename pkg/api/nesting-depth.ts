// Bounds on how deeply request data may nest, checked before anything recurses over it.
//
// Every recursive walk over a request (YAML composition, JSON.stringify, structuredClone,
// validation, patching, field sets) would otherwise recurse as deep as the client nests.
// V8 runs JSON.stringify out of stack at ~4,000 levels and structuredClone at ~1,900, and a
// stack that overflows inside a native frame (the regular-expression compiler, for one) aborts
// the process instead of throwing. Kubernetes' Go decoders stop at 10,000 levels; Node's
// default stack cannot walk that deep, so the limit here leaves every walk a wide margin.
// No Kubernetes object comes near it: a pod nests about 10 levels, a CRD schema two per level.
import { errors } from './errors.js';

export const MAX_NESTING_DEPTH = 500;

/** The error every decoder gives for data nested deeper than MAX_NESTING_DEPTH. */
export function tooDeeplyNested(what: string): Error {
  return errors.badRequest(`${what}: exceeded max depth of ${MAX_NESTING_DEPTH}`);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, from its bytes alone: one pass,
 * no allocation. Text that is not JSON may give either answer; the parser rejects it anyway.
 */
export function jsonTextTooDeep(text: Uint8Array, limit = MAX_NESTING_DEPTH): boolean {
  // Each level takes an opening and a closing byte: short texts cannot be too deep.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether a decoded value nests objects and arrays deeper than `limit`; walks with its own stack.
 * `work.nodes`, when given, is increased by the number of objects and arrays visited.
 */
export function valueTooDeep(value: unknown, limit = MAX_NESTING_DEPTH, work?: { nodes: number }): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit < 1) return true;
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const v = pending.pop() as object;
    const depth = depths.pop()!;
    if (work) work.nodes++;
    if (depth > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
