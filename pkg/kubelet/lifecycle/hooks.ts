// postStart / preStop handlers (pkg/kubelet/lifecycle/handlers.go): exec in the container,
// an HTTP GET to the pod, or a sleep. A failure throws a HookError whose message is the one
// upstream returns from handlerRunner.Run; the caller stores it as the container's waiting
// message (PostStartHookError) and records the event below, which on purpose does not carry
// the message (it could leak secrets from the command line).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { ExecTimeoutError } from '../runtime/runtime-errors.js';
import { goDuration, goQuote, goStringSlice } from '../probes/go-format.js';
import { httpGet, requestForHttpGetAction } from '../probes/http-get.js';

/** Event reasons and messages of kuberuntime_container.go for failed hooks. */
export const FAILED_POST_START_HOOK = { reason: 'FailedPostStartHook', message: 'PostStartHook failed' } as const;
export const FAILED_PRE_STOP_HOOK = { reason: 'FailedPreStopHook', message: 'PreStopHook failed' } as const;
/** ErrPostStartHook: the waiting reason of a container whose postStart hook failed. */
export const POST_START_HOOK_ERROR_REASON = 'PostStartHookError';

export interface HookContext {
  podIP?: string;
  timeoutMs: number;
  /** Aborting ends a sleep hook early ("container terminated before sleep hook finished"). */
  signal?: AbortSignal;
  /** The pod and container, for upstream's messages and named ports. */
  pod?: Pod;
  container?: Container;
}

export class HookError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The hook did not finish within timeoutMs (a preStop past the grace period). Upstream only
 * logs this ("PreStop hook not completed in grace period") and records no event.
 */
export class HookTimeoutError extends HookError {}

export async function runHook(runtime: Pick<ContainerRuntime, 'exec'>, containerId: string, handler: LifecycleHandler, ctx: HookContext): Promise<void> {
  const containerName = ctx.container?.name ?? '';
  const pod = formatPod(ctx.pod);
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    const prefix = `Exec lifecycle hook (${goStringSlice(cmd)}) for Container ${goQuote(containerName)} in Pod ${goQuote(pod)} failed - error: `;
    let res;
    try {
      res = await runtime.exec(containerId, [...cmd], { timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (err) {
      if (err instanceof ExecTimeoutError) {
        throw new HookTimeoutError(`${prefix}command ${goQuote(cmd.join(' '))} timed out after ${goDuration(ctx.timeoutMs / 1000)}, message: ""`, { cause: err });
      }
      throw new HookError(`${prefix}${err instanceof Error ? err.message : String(err)}, message: ""`, { cause: err });
    }
    if (res.exitCode !== 0) {
      const output = Buffer.concat([res.stdout, res.stderr]).toString();
      throw new HookError(`${prefix}command '${cmd.join(' ')}' exited with ${res.exitCode}: ${res.stderr.toString()}, message: ${goQuote(output)}`);
    }
    return;
  }
  if (handler.httpGet) {
    const action = handler.httpGet;
    const prefix = `HTTP lifecycle hook (${action.path ?? ''}) for Container ${goQuote(containerName)} in Pod ${goQuote(pod)} failed - error: `;
    const host = action.host || ctx.podIP;
    if (!host) throw new HookError(`${prefix}failed to find networking container: no pod IP`);
    try {
      const req = requestForHttpGetAction(action, ctx.container ?? {}, host, 'lifecycle');
      try {
        // Upstream ignores the status code: any answer is a success.
        await httpGet(req, ctx.timeoutMs);
      } catch (err) {
        if (req.url.protocol !== 'https:' || !String((err as Error).message).includes('server gave HTTP response to HTTPS client')) throw err;
        // An HTTPS hook answered by plain HTTP is retried over HTTP, without Authorization.
        const url = new URL(req.url);
        url.protocol = 'http:';
        const { Authorization: _dropped, ...headers } = req.headers;
        await httpGet({ url, display: url.toString(), headers }, ctx.timeoutMs);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes('context deadline exceeded')) throw new HookTimeoutError(`${prefix}${message}`, { cause: err });
      throw new HookError(`${prefix}${message}`, { cause: err });
    }
    return;
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    const prefix = `Sleep lifecycle hook (${seconds}) for Container ${goQuote(containerName)} in Pod ${goQuote(pod)} failed - error: `;
    const timeout = AbortSignal.timeout(Math.max(1, ctx.timeoutMs));
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    try {
      await sleep(seconds * 1000, undefined, { signal });
    } catch (err) {
      if (timeout.aborted && !ctx.signal?.aborted) throw new HookTimeoutError(`${prefix}not completed within ${goDuration(ctx.timeoutMs / 1000)}`, { cause: err });
      throw new HookError(`${prefix}container terminated before sleep hook finished`, { cause: err });
    }
    return;
  }
  throw new HookError(`Cannot run handler: invalid handler: ${JSON.stringify(handler)}`);
}

/** format.Pod: name_namespace(uid). */
function formatPod(pod: Pod | undefined): string {
  const m = pod?.metadata;
  return `${m?.name ?? ''}_${m?.namespace ?? ''}(${m?.uid ?? ''})`;
}
