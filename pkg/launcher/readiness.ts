// Readiness checks the launcher polls: each answers "ready now?" quickly and never throws, so
// the caller owns the polling loop, its deadline and its cancellation.
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_TIMEOUT_MS = 2_000;

/** GET url answers 2xx, and its body matches `body` when given (etcd: {"health":"true"}; /readyz: ok). */
export async function httpReady(url: string, body?: RegExp): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await res.text();
    return res.ok && (body === undefined || body.test(text));
  } catch {
    return false;
  }
}

interface NodeCondition { type?: string; status?: string }
interface NodeObject { metadata?: { name?: string }; status?: { conditions?: NodeCondition[] } }

export function isNodeReady(node: NodeObject): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The Node exists and its Ready condition is True. */
export async function nodeReady(apiserver: string, name: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiserver}/api/v1/nodes/${encodeURIComponent(name)}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!res.ok) { await res.body?.cancel(); return false; }
    return isNodeReady((await res.json()) as NodeObject);
  } catch {
    return false;
  }
}

/** Every Node's name and whether it is Ready; undefined when the apiserver does not answer. */
export async function listNodes(apiserver: string): Promise<{ name: string; ready: boolean }[] | undefined> {
  try {
    const res = await fetch(`${apiserver}/api/v1/nodes`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!res.ok) { await res.body?.cancel(); return undefined; }
    const list = (await res.json()) as { items?: NodeObject[] };
    return (list.items ?? []).map((n) => ({ name: n.metadata?.name ?? '', ready: isNodeReady(n) }));
  } catch {
    return undefined;
  }
}

export interface PollOptions { intervalMs?: number; timeoutMs: number; signal?: AbortSignal }

/**
 * Polls `check` until it resolves true (→ true) or the deadline passes (→ false). `stop` ends
 * it early with false, e.g. when the process being waited for has exited.
 */
export async function pollUntil(check: () => Promise<boolean>, opts: PollOptions, stop: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal?.aborted || stop()) return false;
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    try {
      await sleep(opts.intervalMs ?? 100, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      return false;
    }
  }
}
