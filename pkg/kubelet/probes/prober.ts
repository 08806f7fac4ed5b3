// Runs one probe of any kind against one container (pkg/kubelet/prober/prober.go runProbe).
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { execProbe } from './exec-probe.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import { ProbeError, type ProbeOutcome } from './probe-result.js';
import { resolvePort } from './resolve-port.js';
import { tcpProbe } from './tcp-probe.js';

export interface ProbeTarget {
  runtime: ContainerRuntime;
  containerId: string;
  container: Container;
  /** The pod IP (the node's IP for hostNetwork pods). */
  podIP: string | undefined;
}

/** Runs a probe once; throws ProbeError when it could not be run at all. */
export type Prober = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

/** When the caller knows no pod IP (a hostNetwork pod without a node IP), probe the host. */
const FALLBACK_HOST = '127.0.0.1';

export const runProbe: Prober = async (probe, target) => {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const podIP = target.podIP || FALLBACK_HOST;
  if (probe.exec) return execProbe(target.runtime, target.containerId, probe.exec.command ?? [], timeoutMs);
  if (probe.httpGet) return httpProbe(probe.httpGet, target.container, podIP, timeoutMs);
  if (probe.tcpSocket) {
    const port = portOrProbeError(() => resolvePort(probe.tcpSocket?.port, target.container));
    return tcpProbe(probe.tcpSocket.host || podIP, port, timeoutMs);
  }
  if (probe.grpc) return grpcProbe(podIP, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
  throw new ProbeError('missing probe handler');
};

function portOrProbeError(fn: () => number): number {
  try {
    return fn();
  } catch (err) {
    throw new ProbeError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}
