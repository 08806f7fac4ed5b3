// `npm run bench -- hostile` (issue 14): 100,000 hostile requests, from the fuzz suite's
// generators, through many keep-alive connections against a real kube-apiserver process over a
// real etcd. Reports crashes, 5xx, error answers that are not a Status, the 4xx codes, the
// process's RSS before, at its peak and after, and whether an object stored first reads back
// byte-identical. HOSTILE_REQUESTS shrinks the run (e.g. 5000 for a quick try);
// HOSTILE_MAX_SECONDS bounds it in time.
import fc from 'fast-check';
import { Pool } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMb } from '../harness/components.js';
import { startEtcd } from '../harness/etcd.js';
import { answerProblem, sendRaw, serialize, startHostileTarget, type Answer, type HostileTarget, type WireRequest } from '../integration/apiserver/fuzz-http.js';
import { hostileRecipe, postObject, renderHostile, seedTargets, type HostileRecipe } from '../integration/apiserver/fuzz-generators.js';
import type { Figure } from './bench-report.js';

const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const CONNECTIONS = 48;
const REQUEST_TIMEOUT_MS = 20_000;
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
  process.stdout.write(`hostile: ${total} requests, ${CONNECTIONS} keep-alive connections, at most ${maxSeconds} s, seed ${seed}\n`);
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

    const newPool = () => new Pool(t.url, { connections: CONNECTIONS, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 30_000 });
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

    const record = (recipe: HostileRecipe, verdict: Verdict) => {
      counts.set(verdict.status, (counts.get(verdict.status) ?? 0) + 1);
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
    let next = 0;
    const batch: HostileRecipe[] = [];
    const take = (): HostileRecipe | undefined => {
      if (next >= total || Date.now() > deadline) return undefined;
      if (!batch.length) batch.push(...fc.sample(hostileRecipe(MAX_REQUEST_BYTES), { numRuns: 500, seed: seed + next }));
      next++;
      return batch.shift();
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      for (let recipe = take(); recipe; recipe = take()) {
        if (restarting) await restarting;
        inFlight.add(recipe);
        const wire = renderHostile(recipe, MAX_REQUEST_BYTES);
        const head = wire.method === 'HEAD';
        const answer = await send(pool!, t.port, wire);
        inFlight.delete(recipe);
        sent++;
        const nested = 'body' in recipe && recipe.body.body.kind === 'nest';
        const problem = answerProblem(answer, { head, nested });
        record(recipe, problem ? { kind: 'bad', status: answer.status, problem } : { kind: 'ok', status: answer.status });
        if (sent % 10_000 === 0) process.stdout.write(`  ${sent} sent, ${t.crashes.length} crashes, RSS ${rssMb(t.process.pid).toFixed(0)} MB\n`);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    if (restarting) await restarting;
    finished = true;
    clearInterval(sampler);
    await pool.close().catch(() => undefined);
    await sleep(2000);
    const rssAfter = rssMb(t.process.pid);
    const readBack = await readText(t.url, SENTINEL_PATH);

    const codes = [...counts.entries()].sort((a, b) => a[0] - b[0]);
    const fourXx = codes.filter(([c]) => c >= 400 && c < 500);
    const twoXx = codes.filter(([c]) => c >= 200 && c < 300).reduce((n, [, k]) => n + k, 0);
    process.stdout.write(`  answers by code: ${codes.map(([c, n]) => `${c || 'none'}: ${n}`).join(', ')}\n`);
    for (const note of crashNotes) process.stdout.write(`  crash: ${note}\n`);
    for (const [key, p] of [...problems.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, 25)) {
      process.stdout.write(`  bad answer x${p.count} [${key}]: ${p.example}\n`);
    }
    return [
      { name: 'hostile requests sent', value: sent, unit: 'requests', note: `of ${total} asked; ${seconds.toFixed(0)} s, ${(sent / seconds).toFixed(0)} requests/s, seed ${seed}` },
      { name: 'crashes (the process exited)', value: t.crashes.length, unit: '', target: '0' },
      { name: '5xx answers', value: fiveXx, unit: '', target: '0' },
      { name: 'error answers that are not a Status', value: notStatus, unit: '', target: '0', note: 'or a stack overflow where a depth bound belongs' },
      { name: 'requests without an HTTP answer', value: noAnswer, unit: '', target: '0', note: 'connection closed or reset, or none within 20 s' },
      { name: '2xx answers (valid by chance)', value: twoXx, unit: '' },
      { name: '4xx answers', value: fourXx.reduce((n, [, k]) => n + k, 0), unit: '', note: fourXx.map(([c, n]) => `${c}: ${n}`).join(', ') },
      { name: 'apiserver RSS before', value: rssBefore, unit: 'MB' },
      { name: 'apiserver RSS peak during', value: peak, unit: 'MB', note: 'VmRSS sampled every 250 ms' },
      { name: 'apiserver RSS after', value: rssAfter, unit: 'MB', note: '2 s after the last answer' },
      { name: 'stored object reads back byte-identical', value: readBack === sentinel ? 1 : 0, unit: '(1 = yes)', target: '1', ...(readBack === sentinel ? {} : { note: readBack.slice(0, 200) }) },
    ];
  } finally {
    await pool?.destroy().catch(() => undefined);
    await target?.stop();
    await etcd.stop();
  }
}

/** Well-formed requests go through the keep-alive pool; what undici refuses to send goes raw. */
async function send(pool: Pool, port: number, wire: WireRequest): Promise<Answer> {
  const oversized = (wire.body?.length ?? 0) > MAX_REQUEST_BYTES;
  if (wire.raw || oversized) return sendRaw(port, serialize(wire), { timeoutMs: REQUEST_TIMEOUT_MS, ...(wire.raw ? { halfCloseAfterMs: 1000 } : {}), ...(wire.method === 'HEAD' ? { head: true } : {}) });
  const headers = wire.headers.filter(([k]) => k.toLowerCase() !== 'connection').flat();
  let res;
  try {
    res = await pool.request({ method: wire.method, path: wire.target, headers, ...(wire.body ? { body: wire.body } : {}) });
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    // undici checks methods, paths and headers before sending: those go out byte for byte instead.
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return sendRaw(port, serialize(wire), { timeoutMs: REQUEST_TIMEOUT_MS, ...(wire.method === 'HEAD' ? { head: true } : {}) });
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

async function readText(url: string, path: string): Promise<string> {
  try {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
    return `${res.status} ${await res.text()}`;
  } catch (e) {
    return `unreadable: ${String(e)}`;
  }
}

/** The sentinel in kube-system (no hostile request names it) and the objects the requests aim at. */
async function seed_(url: string): Promise<void> {
  await postObject(url, '/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hostile-sentinel', labels: { keep: 'me' } }, data: { text: 'stored before: é 漢 \u2028' } });
  await seedTargets(url);
}
