// The `pod-template-hash` label value (controller.ComputeHash): FNV-32a over the pod template,
// then the collision count as 8 little-endian bytes when set, rendered as the decimal string
// of the sum mapped through rand.SafeEncodeString's alphabet (no vowels, no 0/1/3, so no
// words and no look-alikes). Upstream hashes Go's spew dump of the struct; that dump is a Go
// artefact, so this hashes the template's canonical JSON instead: the same properties
// (deterministic, changes with the template), not the same digits.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly } from '../../client/lister.js';

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function computeHash(template: PodTemplateSpec | DeepReadonly<PodTemplateSpec> | undefined, collisionCount?: number): string {
  let h = fnv32aInit();
  h = fnv32a(h, Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(h, b);
  }
  return safeEncodeString(String(h >>> 0));
}

export function safeEncodeString(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) out += SAFE_ALPHANUMS[byte % SAFE_ALPHANUMS.length];
  return out;
}

function fnv32aInit(): number { return 0x811c9dc5; }

function fnv32a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** JSON with sorted keys, so key order never changes the hash. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
