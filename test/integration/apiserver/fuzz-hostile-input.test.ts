// Hostile input (issue 14): property-based fuzzing of every request decoder and of the request
// handler, against a real kube-apiserver process over the shared test etcd. Every answer must be
// a 2xx (the input happened to be valid) or a 4xx Kubernetes Status whose code is the HTTP
// status, deep nesting must be refused by a depth bound rather than a stack overflow, the
// process must keep answering, and an object stored before the run must read back
// byte-identical after it. fast-check prints the seed and the shrunk counterexample on failure.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { testEtcd, uniquePrefix } from '../../harness/etcd.js';
import { answerProblem, sendRaw, serialize, startHostileTarget, type HostileTarget, type WireRequest, readText } from './fuzz-http.js';
import {
  bodyRecipe, bodyRequest, isNested, nestBody, postObject, RAW_TEMPLATES, rawRecipe, renderBodyRequest, renderRaw, renderUrlRequest,
  seedTargets, TARGETS, urlRequest, type BodyRequest, type RawRecipe, type UrlRequest,
} from './fuzz-generators.js';

/** kube-apiserver's default --max-request-bytes (3 MiB), as the process runs. */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
/** How long a property may go on shrinking a failure (from its start), so a failing file stays bounded too. */
const SHRINK_MS = 10_000;
const SENTINEL_PATH = '/api/v1/namespaces/kube-system/configmaps/fuzz-sentinel';

const targetIndex = (collectionEnd: string, sub?: string) => TARGETS.findIndex((x) => x.collection.endsWith(collectionEnd) && x.sub === sub);


interface Fuzz { target: HostileTarget; sentinel: string }

/**
 * Sends one request and says what is wrong with what came back, if anything; a request after
 * which the process no longer answers is wrong whatever its answer was. The process is then
 * restarted, so the cases after it (and fast-check's shrinking) still mean something.
 */
async function problemWith(f: Fuzz, wire: WireRequest, opts: { head?: boolean; nested?: boolean; status?: number } = {}): Promise<string | undefined> {
  const answer = await sendRaw(f.target.port, serialize(wire), { ...(wire.raw ? { halfCloseAfterMs: 1000 } : {}), ...(opts.head ? { head: true } : {}) });
  let problem = answerProblem(answer, opts);
  if (!problem && opts.status !== undefined && answer.status !== opts.status) problem = `HTTP ${answer.status}, not ${opts.status}: ${answer.body.slice(0, 200)}`;
  if (await f.target.answers()) return problem;
  const why = f.target.crashed() ?? 'the process is up but /healthz does not answer';
  await f.target.restart();
  await seedTargets(f.target.url);
  return `the apiserver stopped answering (${why}); the request's answer: ${problem ?? `HTTP ${answer.status}`}`;
}

/**
 * Runs a property; a failure fails the test with the seed, the path and the shrunk
 * counterexample with what it got. Shrinking stops SHRINK_MS after the start (each step can
 * cost a crash and a restart). Then checks the stored object is intact.
 */
async function check<T>(t: Test, f: Fuzz, arb: fc.Arbitrary<T>, predicate: (v: T) => Promise<string | undefined>, params: fc.Parameters<[T]>): Promise<void> {
  const started = Date.now();
  let failed = false;
  const details = await fc.check(fc.asyncProperty(arb, async (v) => {
    // Past the budget a shrink candidate counts as passing: the smallest failure so far stands.
    if (failed && Date.now() - started > SHRINK_MS) return;
    const problem = await predicate(v);
    if (problem) {
      failed = true;
      throw new Error(problem);
    }
  }), params);
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    t.fail(`${details.numRuns} runs, seed ${details.seed}, path ${details.counterexamplePath ?? ''}: ${fc.stringify(details.counterexample?.[0])} got: ${error}`);
  }
  else t.pass(`${details.numRuns} runs, no failure (seed ${details.seed})`);
  if (!(await f.target.answers())) await f.target.restart();
  t.equal(await readText(f.target.url, SENTINEL_PATH), f.sentinel, 'the object stored before reads back byte-identical');
}

const renderBody = (req: BodyRequest) => renderBodyRequest(req, MAX_REQUEST_BYTES);
const bodyProblem = (f: Fuzz) => (req: BodyRequest) => problemWith(f, renderBody(req), { nested: isNested(req) });

t.test('hostile input to a real kube-apiserver', async (t) => {
  const etcd = await testEtcd(t);
  // A memory bomb ends the process within seconds rather than taking the machine's memory.
  const target = await startHostileTarget(etcd, uniquePrefix('fuzz'), { maxOldSpaceMb: 512 });
  t.teardown(() => target.stop());
  await seedTargets(target.url);
  await postObject(target.url, '/api/v1/namespaces/kube-system/configmaps', {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fuzz-sentinel', labels: { keep: 'me' } },
    data: { text: 'stored before the fuzzing: é 漢 \u2028', json: '{"a":[1,2,{"b":null}]}' },
  });
  const f: Fuzz = { target, sentinel: await readText(target.url, SENTINEL_PATH) };
  t.match(f.sentinel, /^200 /, 'the sentinel object is stored');

  await t.test('deep nesting in every decoder, verb and content type is refused by a depth bound with a 4xx Status', async (t) => {
    const deployments = targetIndex('/deployments');
    const configmaps = targetIndex('/configmaps');
    const examples: [BodyRequest][] = [
      // The issue's crash: a collection DELETE of deployments with 5,000 `{` and 5,000 `}` as YAML.
      [{ target: deployments, verb: 'deletecollection', contentType: 'application/yaml', body: { kind: 'nest', shape: 'yamlFlowMap', depth: 5000 } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/json', body: { kind: 'nest', shape: 'jsonArrayOpen', depth: 100_000 } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/json', body: { kind: 'nest', shape: 'jsonObjectInData', depth: 100_000 } }],
      [{ target: configmaps, verb: 'patch', contentType: 'application/merge-patch+json', body: { kind: 'nest', shape: 'jsonObject', depth: 100_000 } }],
      [{ target: configmaps, verb: 'patch', contentType: 'application/strategic-merge-patch+json', body: { kind: 'nest', shape: 'jsonObject', depth: 100_000 } }],
      [{ target: configmaps, verb: 'patch', contentType: 'application/apply-patch+yaml', body: { kind: 'nest', shape: 'yamlBlockSeq', depth: 100_000 } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/vnd.kubernetes.protobuf', body: { kind: 'protobuf', variant: 'nestedGroups', depth: 100_000 } }],
    ];
    await check(t, f, bodyRequest(MAX_REQUEST_BYTES, nestBody), bodyProblem(f), { numRuns: 60, examples });
  });

  await t.test('huge strings, bad escapes, invalid UTF-8, random bytes, aliases and patch bombs under every content type and verb get a 2xx or a 4xx Status', async (t) => {
    const configmaps = targetIndex('/configmaps');
    const examples: [BodyRequest][] = [
      [{ target: configmaps, verb: 'patch', contentType: 'application/json-patch+json', body: { kind: 'jsonPatchOps', ops: 10_001, op: 'test' } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/yaml', body: { kind: 'yamlAliases', levels: 10, width: 10 } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/json', body: { kind: 'badUtf8', bytes: [0xed, 0xa0, 0x80] } }],
      [{ target: configmaps, verb: 'create', contentType: 'application/json', body: { kind: 'badEscape', escape: '\\ud800' } }],
    ];
    await check(t, f, bodyRequest(MAX_REQUEST_BYTES, bodyRecipe(MAX_REQUEST_BYTES)), bodyProblem(f), { numRuns: 150, examples });
  });

  await t.test('a JSON patch whose copies double the document is refused with a 4xx Status, not a heap out of memory', async (t) => {
    const configmaps = targetIndex('/configmaps');
    const arb = fc.record({ copies: fc.integer({ min: 20, max: 60 }), op: fc.constantFrom('copy' as const, 'move-copy' as const) })
      .map((b): BodyRequest => ({ target: configmaps, verb: 'patch', contentType: 'application/json-patch+json', body: { kind: 'jsonPatchCopyBomb', ...b } }));
    // Each failing run can take the process's whole heap: no shrinking.
    await check(t, f, arb, bodyProblem(f), { numRuns: 2, endOnFailure: true });
  });

  await t.test('a body over --max-request-bytes is refused with 413 on every verb and resource', async (t) => {
    const arb = bodyRequest(MAX_REQUEST_BYTES, fc.record({ kind: fc.constant('oversized' as const), overBytes: fc.integer({ min: 1, max: 512 * 1024 }), fill: fc.constantFrom('json' as const, 'zeros' as const) }));
    await check(t, f, arb, (req) => problemWith(f, renderBody(req), { status: 413 }), { numRuns: 20 });
  });

  await t.test('unknown methods, bad paths, garbage queries and headers get a 2xx or a 4xx Status', async (t) => {
    await check(t, f, urlRequest, (req) => problemWith(f, renderUrlRequest(req), { head: req.method === 'HEAD' }), {
      numRuns: 400,
      examples: ([
        [{ method: 'BREW', path: '/api/v1/namespaces/default/pods', query: [], headers: [], withBody: false }],
        [{ method: 'PROPFIND', path: '/api/v1/pods', query: [], headers: [], withBody: false }],
        [{ method: 'GET', path: '/api/v1/%zz', query: [], headers: [], withBody: false }],
        [{ method: 'GET', path: '/api/v1/namespaces/default/pods', query: [['labelSelector', '%zz'], ['limit', 'x'], ['continue', '%ff'], ['watch', 'maybe']], headers: [], withBody: false }],
        [{ method: 'GET', path: '/api/v1/namespaces/default/pods', query: [['limit', '1'], ['limit', '2'], ['resourceVersion', '1'], ['resourceVersion', 'x']], headers: [], withBody: false }],
        [{ method: 'GET', path: '/api/v1/namespaces/default/pods', query: [['timeoutSeconds', '-1'], ['resourceVersionMatch', 'Exact']], headers: [['Accept', 'a/b/c']], withBody: false }],
      ] satisfies [UrlRequest][]),
    });
  });

  await t.test('broken request lines, framing and raw bytes get a 4xx Status', async (t) => {
    await check(t, f, rawRecipe, (recipe: RawRecipe) => problemWith(f, renderRaw(recipe)), {
      numRuns: 150,
      examples: Object.keys(RAW_TEMPLATES).map((name): [RawRecipe] => [{ kind: 'template', name }]),
    });
  });

  t.same(target.crashes, [], 'the apiserver process never exited');
  t.equal(await readText(target.url, SENTINEL_PATH), f.sentinel, 'the object stored before the run reads back byte-identical after it');
});
