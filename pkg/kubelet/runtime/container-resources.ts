// How the kubelet turns a container's requests and limits into cgroup v1 settings
// (kuberuntime_container_linux.go and cm/helpers_linux.go): shares from the cpu request,
// a CFS quota from the cpu limit, the memory limit in bytes.
import type { Container } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity } from '../../api/quantity.js';
import type { ContainerResources } from './runtime.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
const SHARES_PER_CPU = 1024;
const MILLI_CPU_TO_CPU = 1000;
/** The CFS period the kubelet uses unless a custom one is configured (100 ms). */
export const QUOTA_PERIOD_US = 100000;
/** The kernel rejects quotas below 1 ms. */
const MIN_QUOTA_PERIOD_US = 1000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / MILLI_CPU_TO_CPU);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** 0 means no quota (no cpu limit). */
export function milliCPUToQuota(milliCPU: number, periodUs = QUOTA_PERIOD_US): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD_US, Math.floor((milliCPU * periodUs) / MILLI_CPU_TO_CPU));
}

export function containerResources(container: Pick<Container, 'resources'>): ContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuRequest = requests['cpu'] === undefined ? 0 : milliValue(requests['cpu']);
  const cpuLimit = limits['cpu'] === undefined ? 0 : milliValue(limits['cpu']);
  // A limit without a request means request = limit (API defaulting does the same).
  const shares = milliCPUToShares(cpuRequest === 0 && cpuLimit !== 0 ? cpuLimit : cpuRequest);
  const out: ContainerResources = { cpuShares: shares };
  if (cpuLimit !== 0) {
    out.cpuQuota = milliCPUToQuota(cpuLimit);
    out.cpuPeriod = QUOTA_PERIOD_US;
  }
  if (limits['memory'] !== undefined) out.memoryLimitBytes = Math.ceil(parseQuantity(limits['memory']));
  return out;
}
