// `npm run bench -- hostile` (issue 14): 100,000 hostile requests, from the fuzz suite's
// generators, through many keep-alive connections against a real kube-apiserver process over a
// real etcd. Reports crashes, 5xx, error answers that are not a Status, the 4xx codes, the
// process's RSS before, at its peak and after, and whether an object stored first reads back
// byte-identical. HOSTILE_REQUESTS shrinks the run (e.g. 5000 for a quick try);
// HOSTILE_MAX_SECONDS bounds it in time (no request starts after it; those in flight get 65 s
// more); HOSTILE_CONNECTIONS sets the connections; HOSTILE_NEAR_LIMIT_PER_MILLE and
// HOSTILE_MEDIUM_PER_MILLE how many bodies in 1,000 are near or over the request limit and of
// 64 KiB to 1 MiB (each costs the server as much as hundreds of small ones, so they are few:
// the run must finish in minutes). Progress every 10 s.
import fc from 'fast-check';
import { Pool } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMb } from '../harness/components.js';
import { startEtcd } from '../harness/etcd.js';
import { answerProblem, sendRaw, serialize, startHostileTarget, type Answer, type HostileTarget, type WireRequest, readText } from '../integration/apiserver/fuzz-http.js';
import { hostileRecipe, postObject, renderHostile, seedTargets, type HostileRecipe } from '../integration/apiserver/fuzz-generators.js';
import type { Figure } from './bench-report.js';

const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const PROGRESS_MS = 10_000;
/** Past the server's --request-timeout (60 s, then 504): a request without an answer by then never gets one. */
const REQUEST_TIMEOUT_MS = 65_000;
/**
 * A raw request the server still waits on (a short body, unfinished headers) is half-closed
 * after this, as a client that gives up; long enough that a whole request under load is not.
 */
const RAW_HALF_CLOSE_MS = 5_000;
const SENTINEL_PATH = '/api/v1/namespaces/kube-system/configmaps/hostile-sentinel';

const envInt = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
};

/** What one answer counts as. */
type Verdict = { kind: 'ok'; status: number } | { kind: 'bad'; status: number; problem: string };

export async function runHostileBench(): Promise<Figure[]> {
  const total = envInt('HOSTILE_REQUESTS', 100_000);
  const maxSeconds = envInt('HOSTILE_MAX_SECONDS', 900);
  const seed = envInt('HOSTILE_SEED', Date.now() % 2 ** 31);
  const connections = envInt('HOSTILE_CONNECTIONS', 64);
  // Bodies are half the requests: 30 in 1,000 bodies is ~1.5% of all requests.
  const nearLimitPerMille = Math.min(1000, envInt('HOSTILE_NEAR_LIMIT_PER_MILLE', 30));
  const mediumPerMille = Math.min(1000, envInt('HOSTILE_MEDIUM_PER_MILLE', 40));
  process.stdout.write(`hostile: ${total} requests, ${connections} keep-alive connections, at most ${maxSeconds} s, bodies near the limit ${nearLimitPerMille}/1000, of 64 KiB-1 MiB ${mediumPerMille}/1000, seed ${seed}\n`);
  const etcd = await startEtcd();
  let target: HostileTarget | undefined;
  let pool: Pool | undefined;
  try {
    target = await startHostileTarget(etcd.endpoint, '/registry', { maxRequestBytes: MAX_REQUEST_BYTES });
    const t = target;
    await seed_(t.url);
    const sentinel = await readText(t.url, SENTINEL_PATH);
    if (!sentinel.startsWith('200 ')) throw new Error(`the sentinel was not stored: ${sentinel}`);
    await sleep(1000);
    const rssBefore = rssMb(t.process.pid);

    let peak = rssBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(t.process.pid)); }, 250);
    const counts = new Map<number, number>();
    const problems = new Map<string, { count: number; example: string }>();
    let fiveXx = 0;
    let notStatus = 0;
    let noAnswer = 0;
    let sent = 0;
    let restarting: Promise<void> | undefined;
    const crashNotes: string[] = [];
    const inFlight = new Set<HostileRecipe>();

    const newPool = () => new Pool(t.url, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 30_000 });
    pool = newPool();
    let finished = false;
    const onExit = () => {
      if (restarting || finished) return;
      const kinds = [...inFlight].map(describe);
      crashNotes.push(`${t.crashes.at(-1) ?? 'exited'}\n      in flight (${kinds.length}): ${[...new Set(kinds)].slice(0, 12).join(', ')}`);
      restarting = (async () => {
        const old = pool;
        pool = newPool();
        await old?.destroy().catch(() => undefined);
        await t.restart();
        t.process.once('exit', onExit);
      })().catch((e: unknown) => { crashNotes.push(`restart failed: ${String(e)}`); }).finally(() => { restarting = undefined; });
    };
    t.process.once('exit', onExit);

    const kinds = new Map<string, { count: number; ms: number; maxMs: number; bytes: number }>();
    const record = (recipe: HostileRecipe, verdict: Verdict, ms: number, bytes: number) => {
      counts.set(verdict.status, (counts.get(verdict.status) ?? 0) + 1);
      const k = kindOf(recipe, bytes);
      const stat = kinds.get(k) ?? { count: 0, ms: 0, maxMs: 0, bytes: 0 };
      kinds.set(k, { count: stat.count + 1, ms: stat.ms + ms, maxMs: Math.max(stat.maxMs, ms), bytes: stat.bytes + bytes });
      if (verdict.kind === 'ok') return;
      if (verdict.status >= 500) fiveXx++;
      else if (verdict.status === 0) noAnswer++;
      else notStatus++;
      const key = `${verdict.status} ${describe(recipe)}`;
      const p = problems.get(key);
      if (p) p.count++;
      else problems.set(key, { count: 1, example: `${fc.stringify(recipe).slice(0, 300)} -> ${verdict.problem.slice(0, 300)}` });
    };

    const started = performance.now();
    const deadline = Date.now() + maxSeconds * 1000;
    let lastSent = 0;
    const progress = setInterval(() => {
      const seconds = (performance.now() - started) / 1000;
      const rss = t.process.exitCode === null ? rssMb(t.process.pid).toFixed(0) : '-';
      process.stdout.write(`  ${seconds.toFixed(0)} s: ${sent} sent, ${((sent - lastSent) / (PROGRESS_MS / 1000)).toFixed(0)}/s now, ${(sent / seconds).toFixed(0)}/s overall, ${inFlight.size} in flight, RSS ${rss} MB, ${t.crashes.length} crashes, ${fiveXx + notStatus + noAnswer} bad answers\n`);
      lastSent = sent;
    }, PROGRESS_MS);
    let next = 0;
    const batch: HostileRecipe[] = [];
    const take = (): HostileRecipe | undefined => {
      if (next >= total || Date.now() > deadline) return undefined;
      if (!batch.length) batch.push(...fc.sample(hostileRecipe(MAX_REQUEST_BYTES, { nearLimitPerMille, mediumPerMille }), { numRuns: 500, seed: seed + next }));
      next++;
      return batch.shift();
    };
    await Promise.all(Array.from({ length: connections }, async () => {
      for (let recipe = take(); recipe; recipe = take()) {
        if (restarting) await restarting;
        inFlight.add(recipe);
        const wire = renderHostile(recipe, MAX_REQUEST_BYTES);
        // A raw HEAD request (a request line the generator wrote) gets an answer without a body too.
        const head = wire.raw ? wire.raw.toString('latin1', 0, 5) === 'HEAD ' : wire.method === 'HEAD';
        const sentAt = performance.now();
        const answer = await send(pool!, t.port, wire, head);
        const ms = performance.now() - sentAt;
        inFlight.delete(recipe);
        sent++;
        const nested = 'body' in recipe && recipe.body.body.kind === 'nest';
        const problem = answerProblem(answer, { head, nested });
        record(recipe, problem ? { kind: 'bad', status: answer.status, problem } : { kind: 'ok', status: answer.status }, ms, (wire.raw ?? wire.body)?.length ?? 0);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    if (restarting) await restarting;
    finished = true;
    clearInterval(progress);
    clearInterval(sampler);
    await pool.close().catch(() => undefined);
    await sleep(2000);
    const rssAfter = rssMb(t.process.pid);
    const readBack = await readText(t.url, SENTINEL_PATH);
    await sleep(8000);
    const rssAfter10 = rssMb(t.process.pid);

    const codes = [...counts.entries()].sort((a, b) => a[0] - b[0]);
    const fourXx = codes.filter(([c]) => c >= 400 && c < 500);
    const twoXx = codes.filter(([c]) => c >= 200 && c < 300).reduce((n, [, k]) => n + k, 0);
    process.stdout.write(`  answers by code: ${codes.map(([c, n]) => `${c || 'none'}: ${n}`).join(', ')}\n`);
    process.stdout.write('  by kind (requests, mean and max ms to the answer, mean request bytes):\n');
    for (const [k, v] of [...kinds.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
      process.stdout.write(`    ${k}: ${v.count}, ${(v.ms / v.count).toFixed(0)} ms, max ${v.maxMs.toFixed(0)} ms, ${(v.bytes / v.count / 1024).toFixed(1)} KiB\n`);
    }
    const nearLimit = [...kinds.entries()].filter(([k]) => k.endsWith(NEAR_LIMIT)).reduce((n, [, v]) => n + v.count, 0);
    const medium = [...kinds.entries()].filter(([k]) => k.endsWith(MEDIUM)).reduce((n, [, v]) => n + v.count, 0);
    const tooMany = counts.get(429) ?? 0;
    for (const note of crashNotes) process.stdout.write(`  crash: ${note}\n`);
    // The most frequent of each status first, so one flood of 504s does not hide a rare lost answer.
    const shown = new Map<string, number>();
    for (const [key, p] of [...problems.entries()].sort((a, b) => b[1].count - a[1].count)) {
      const status = key.split(' ')[0]!;
      const n = shown.get(status) ?? 0;
      shown.set(status, n + 1);
      if (n < 10) process.stdout.write(`  bad answer x${p.count} [${key}]: ${p.example}\n`);
    }
    return [
      { name: 'hostile requests sent', value: sent, unit: 'requests', note: `of ${total} asked; ${seconds.toFixed(0)} s, ${(sent / seconds).toFixed(0)} requests/s, ${connections} connections, seed ${seed}` },
      { name: 'bodies of 1 MiB or more', value: nearLimit, unit: 'requests', note: `${((100 * nearLimit) / Math.max(1, sent)).toFixed(1)}% of the requests` },
      { name: 'bodies of 64 KiB to 1 MiB', value: medium, unit: 'requests', note: `${((100 * medium) / Math.max(1, sent)).toFixed(1)}% of the requests` },
      { name: 'crashes (the process exited)', value: t.crashes.length, unit: '', target: '0' },
      { name: '5xx answers', value: fiveXx, unit: '', target: '0' },
      { name: 'error answers that are not a Status', value: notStatus, unit: '', target: '0', note: 'or a stack overflow where a depth bound belongs' },
      { name: 'requests without an HTTP answer', value: noAnswer, unit: '', target: '0', note: `connection closed or reset, or none within ${REQUEST_TIMEOUT_MS / 1000} s` },
      { name: '2xx answers (valid by chance)', value: twoXx, unit: '' },
      { name: '4xx answers', value: fourXx.reduce((n, [, k]) => n + k, 0), unit: '', note: fourXx.map(([c, n]) => `${c}: ${n}`).join(', ') },
      { name: '429 answers (overload: wait or retry)', value: tooMany, unit: '', note: `${((100 * tooMany) / Math.max(1, sent)).toFixed(1)}% of the requests` },
      { name: 'apiserver RSS before', value: rssBefore, unit: 'MB' },
      { name: 'apiserver RSS peak during', value: peak, unit: 'MB', note: 'VmRSS sampled every 250 ms' },
      { name: 'apiserver RSS after', value: rssAfter, unit: 'MB', note: '2 s after the last answer' },
      { name: 'apiserver RSS 10 s after', value: rssAfter10, unit: 'MB' },
      { name: 'stored object reads back byte-identical', value: readBack === sentinel ? 1 : 0, unit: '(1 = yes)', target: '1', ...(readBack === sentinel ? {} : { note: readBack.slice(0, 200) }) },
    ];
  } finally {
    await pool?.destroy().catch(() => undefined);
    await target?.stop();
    await etcd.stop();
  }
}

/** Well-formed requests go through the keep-alive pool; what undici refuses to send goes raw. */
async function send(pool: Pool, port: number, wire: WireRequest, head: boolean): Promise<Answer> {
  const oversized = (wire.body?.length ?? 0) > MAX_REQUEST_BYTES;
  if (wire.raw || oversized) return sendRaw(port, serialize(wire), { timeoutMs: REQUEST_TIMEOUT_MS, ...(wire.raw ? { halfCloseAfterMs: RAW_HALF_CLOSE_MS } : {}), head });
  const headers = wire.headers.filter(([k]) => k.toLowerCase() !== 'connection').flat();
  let res;
  try {
    res = await pool.request({ method: wire.method, path: wire.target, headers, ...(wire.body ? { body: wire.body } : {}) });
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    // undici checks methods, paths and headers before sending: those go out byte for byte instead.
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return sendRaw(port, serialize(wire), { timeoutMs: REQUEST_TIMEOUT_MS, head });
    return { status: 0, headers: {}, body: '', error: `${code} ${(e as Error).message}` };
  }
  try {
    const body = await res.body.text();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v ?? '';
    return { status: res.statusCode, headers, body };
  } catch (e) {
    return { status: 0, headers: {}, body: '', error: `answer cut off after HTTP ${res.statusCode}: ${(e as Error).message}` };
  }
}

/** A recipe's kind in a few words, to group bad answers and to say what was in flight at a crash. */
function describe(recipe: HostileRecipe): string {
  if ('body' in recipe) {
    const b = recipe.body.body;
    const detail = b.kind === 'nest' ? `${b.shape}` : b.kind === 'protobuf' ? b.variant : b.kind === 'jsonPatchCopyBomb' ? `${b.copies}` : '';
    return `${recipe.body.verb} ${b.kind}${detail ? `:${detail}` : ''} as ${recipe.body.contentType ?? 'none'}`;
  }
  if ('url' in recipe) return `url ${recipe.url.method}`;
  return `raw ${recipe.raw.kind === 'template' ? recipe.raw.name : recipe.raw.kind}`;
}

const NEAR_LIMIT = ' (1 MiB+)';
const MEDIUM = ' (64 KiB+)';

/** A recipe's kind for the per-kind counts: the body's kind (and whether it is 1 MiB or more), url, or the raw form. */
function kindOf(recipe: HostileRecipe, bytes: number): string {
  if ('body' in recipe) {
    const b = recipe.body.body;
    const large = bytes >= 1024 * 1024 ? NEAR_LIMIT : bytes >= 64 * 1024 ? MEDIUM : '';
    return `body ${b.kind}${b.kind === 'protobuf' ? `:${b.variant}` : ''}${large}`;
  }
  if ('url' in recipe) return 'url';
  return `raw ${recipe.raw.kind}`;
}


/** The sentinel in kube-system (no hostile request names it) and the objects the requests aim at. */
async function seed_(url: string): Promise<void> {
  await postObject(url, '/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hostile-sentinel', labels: { keep: 'me' } }, data: { text: 'stored before: é 漢 \u2028' } });
  await seedTargets(url);
}
