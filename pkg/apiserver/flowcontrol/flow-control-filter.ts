// The apiserver's overload protection as one fastify hook: API Priority and Fairness, or with
// --enable-priority-and-fairness=false the two max-in-flight limits. It runs in preParsing,
// after every onRequest hook (authentication has named the user) and before the body is read,
// so a queued request holds no body in memory.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { errors } from '../../api/errors.js';
import { realClock, type Clock } from '../../client/clock.js';
import { parseGoDuration } from '../../component/go-duration.js';
import { requestUser } from '../authentication/user.js';
import { statusHeaders } from '../handlers/response.js';
import type { Stores } from '../stores.js';
import { ConfigurationSource } from './configuration-source.js';
import { Dispatcher, type FlowControlConfiguration, type FlowControlMetrics, type PriorityLevelView } from './dispatcher.js';
import { MaxInFlightLimiter } from './max-in-flight.js';
import { isLongRunning, isReadOnly, requestAttributes, type RequestAttributes } from './request-attributes.js';
import { estimateSeats, listHints } from './work-estimator.js';

export interface FlowControlFilterOptions {
  /** --enable-priority-and-fairness (default true). */
  enablePriorityAndFairness: boolean;
  /** --max-requests-inflight (default 400) and --max-mutating-requests-inflight (default 200). */
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  /** --request-timeout: a request may wait in a queue a quarter of it. */
  requestTimeoutMs: number;
  stores: Stores;
  /** The built-in FlowSchemas and PriorityLevelConfigurations. */
  bootstrap: FlowControlConfiguration;
  metrics: FlowControlMetrics & { dropped(kind: 'readOnly' | 'mutating'): void };
  logger: Logger;
  clock?: Clock;
}

export const FLOW_SCHEMA_UID_HEADER = 'X-Kubernetes-PF-FlowSchema-UID';
export const PRIORITY_LEVEL_UID_HEADER = 'X-Kubernetes-PF-PriorityLevel-UID';

/** Upstream's cap on any request's queue wait, and the wait of requests without a deadline (watches). */
const MAX_WAIT_LIMIT_MS = 60_000;
const DEFAULT_WAIT_LIMIT_MS = 15_000;

export function registerFlowControl(app: FastifyInstance, opts: FlowControlFilterOptions): void {
  if (opts.enablePriorityAndFairness) registerPriorityAndFairness(app, opts);
  else registerMaxInFlight(app, opts);
}

function registerMaxInFlight(app: FastifyInstance, opts: FlowControlFilterOptions): void {
  const limiter = new MaxInFlightLimiter(opts.maxRequestsInflight, opts.maxMutatingRequestsInflight);
  app.addHook('preParsing', async function maxInFlight(req, reply) {
    const attrs = requestAttributes(req.method, req.url);
    if (isLongRunning(attrs)) return;
    const kind = isReadOnly(attrs) ? 'readOnly' : 'mutating';
    const release = limiter.tryAcquire(kind, requestUser(req));
    if (!release) {
      opts.metrics.dropped(kind);
      tooManyRequests(reply);
      return;
    }
    // 'close' comes after the response is finished and when the client goes away first, so
    // the seat is freed exactly once whichever way the request ends (errors included).
    reply.raw.once('close', release);
  });
}

function registerPriorityAndFairness(app: FastifyInstance, opts: FlowControlFilterOptions): void {
  const dispatcher = new Dispatcher({
    serverConcurrencyLimit: opts.maxRequestsInflight + opts.maxMutatingRequestsInflight,
    configuration: opts.bootstrap, clock: opts.clock ?? realClock,
    requestWaitLimitMs: DEFAULT_WAIT_LIMIT_MS, metrics: opts.metrics,
  });
  const source = new ConfigurationSource({
    stores: opts.stores, fallback: opts.bootstrap, logger: opts.logger,
    apply: (cfg) => dispatcher.setConfiguration(cfg),
  });
  source.poll();

  const seatsFor = (attrs: RequestAttributes, url: string, level: PriorityLevelView): number => {
    if (attrs.verb !== 'list' && attrs.verb !== 'watch') return 1;
    const q = url.indexOf('?');
    const cache = opts.stores.preferred(attrs.apiGroup, attrs.resource)?.cache;
    const count = cache?.objectCount;
    // A resource nobody has watched yet has no count: its cache starts now (upstream keeps one
    // for every resource), and until it has loaded the list is charged the most seats.
    if (cache && count === undefined) cache.ready().catch(() => undefined);
    return estimateSeats(attrs, listHints(new URLSearchParams(q >= 0 ? url.slice(q + 1) : '')), count, level.maxSeats);
  };

  app.addHook('preParsing', async function priorityAndFairness(req, reply) {
    const attrs = requestAttributes(req.method, req.url);
    const isWatch = attrs.verb === 'watch';
    // Other long-running requests (exec, attach, port-forward, proxy, logs) are not limited.
    if (!isWatch && isLongRunning(attrs)) return;
    source.poll();
    const res = reply.raw;
    let closed = false;
    const ac = new AbortController();
    const onClose = () => { closed = true; ac.abort(); };
    res.once('close', onClose);
    const admission = await dispatcher.handle(attrs, requestUser(req), (level) => seatsFor(attrs, req.url, level), {
      signal: ac.signal, waitLimitMs: isWatch ? DEFAULT_WAIT_LIMIT_MS : waitLimitFor(req.url, opts.requestTimeoutMs),
    });
    res.off('close', onClose);
    if (admission.flowSchemaUid) {
      res.setHeader(FLOW_SCHEMA_UID_HEADER, admission.flowSchemaUid);
      res.setHeader(PRIORITY_LEVEL_UID_HEADER, admission.priorityLevelUid);
    }
    if (!admission.admitted) {
      opts.metrics.dropped(isReadOnly(attrs) ? 'readOnly' : 'mutating');
      tooManyRequests(reply);
      return;
    }
    const release = admission.release;
    if (closed) { release(); return; }
    res.once('close', release);
    // A watch holds its seat only while it starts: until its cache is ready and the response
    // begins (the initial events are written in the same turn), as upstream frees a watch's
    // seat at its initialization signal.
    if (isWatch) {
      const writeHead = res.writeHead;
      res.writeHead = function writeHeadThenRelease(this: typeof res, ...args: Parameters<typeof res.writeHead>) {
        res.writeHead = writeHead;
        setImmediate(release);
        return writeHead.apply(this, args);
      } as typeof res.writeHead;
    }
  });
}

/** Upstream's getRequestWaitContext: a quarter of the request's deadline, at most a minute. */
function waitLimitFor(url: string, serverTimeoutMs: number): number {
  let timeoutMs = serverTimeoutMs;
  const q = url.indexOf('?');
  const value = q >= 0 ? new URLSearchParams(url.slice(q + 1)).get('timeout') : null;
  if (value) {
    const ms = parseGoDuration(value);
    if (ms !== undefined && ms > 0 && ms < timeoutMs) timeoutMs = ms;
  }
  return Math.min(timeoutMs / 4, MAX_WAIT_LIMIT_MS);
}

function tooManyRequests(reply: FastifyReply): void {
  const status = errors.tooManyRequests('Too many requests, please try again later.', 1);
  void reply.code(429).headers(statusHeaders(status)).send(JSON.stringify(status.status));
}
