// exec probes (pkg/probe/exec): the command runs inside the container; exit 0 is success,
// any other exit is failure with the combined output, and a timeout is a failure whose output
// is `command "..." timed out` (ExecProbeTimeout, on by default since 1.20).
import type { ContainerRuntime } from '../runtime/runtime.js';
import { ExecTimeoutError } from '../runtime/runtime-errors.js';
import { goQuote } from './go-format.js';
import { ProbeError, type ProbeOutcome } from './probe-result.js';

/** pkg/probe/exec maxReadLength: output beyond 10 KiB is dropped. */
const MAX_READ_LENGTH = 10 * 1024;

export async function execProbe(runtime: Pick<ContainerRuntime, 'exec'>, containerId: string, command: readonly string[], timeoutMs: number): Promise<ProbeOutcome> {
  let res;
  try {
    res = await runtime.exec(containerId, [...command], { timeoutMs });
  } catch (err) {
    if (err instanceof ExecTimeoutError) return { result: 'failure', output: `command ${goQuote(command.join(' '))} timed out` };
    throw new ProbeError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  // The CRI returns stdout then stderr, not interleaved (kuberuntime RunInContainer).
  const output = Buffer.concat([res.stdout, res.stderr]).subarray(0, MAX_READ_LENGTH).toString();
  return { result: res.exitCode === 0 ? 'success' : 'failure', output };
}
