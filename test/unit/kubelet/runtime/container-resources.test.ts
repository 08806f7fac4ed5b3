import t from 'tap';
import { containerResources, milliCPUToQuota, milliCPUToShares } from '../../../../pkg/kubelet/runtime/container-resources.js';

t.test('cpu shares follow the kubelet: 1024 per cpu, clamped to [2, 262144]', async (t) => {
  const cases = [
    { milli: 0, want: 2 }, { milli: 1, want: 2 }, { milli: 100, want: 102 }, { milli: 250, want: 256 },
    { milli: 1000, want: 1024 }, { milli: 1_000_000, want: 262144 },
  ];
  for (const c of cases) t.equal(milliCPUToShares(c.milli), c.want, `${c.milli}m`);
});

t.test('cpu quota is milliCPU * period / 1000 with a 1ms floor; 0 means unlimited', async (t) => {
  t.equal(milliCPUToQuota(0), 0);
  t.equal(milliCPUToQuota(500), 50000);
  t.equal(milliCPUToQuota(2000), 200000);
  t.equal(milliCPUToQuota(5), 1000);
});

t.test('containerResources maps requests and limits', async (t) => {
  const cases = [
    { name: 'best effort gets minimum shares and nothing else', resources: {}, want: { cpuShares: 2 } },
    {
      name: 'requests give shares, limits give quota and memory',
      resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } },
      want: { cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitBytes: 64 * 1024 * 1024 },
    },
    {
      name: 'a limit without a request gives shares from the limit',
      resources: { limits: { cpu: '1' } },
      want: { cpuShares: 1024, cpuQuota: 100000, cpuPeriod: 100000 },
    },
    { name: 'decimal memory', resources: { limits: { memory: '100M' } }, want: { cpuShares: 2, memoryLimitBytes: 100_000_000 } },
  ];
  for (const c of cases) t.same(containerResources({ resources: c.resources }), c.want, c.name);
});
