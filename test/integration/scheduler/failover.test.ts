// Two kube-scheduler processes (active and hot standby) on one Lease: SIGKILL the active one
// mid-stream and every pod is still bound, each exactly once.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSchedulerCluster, until } from './scheduler-cluster.js';

const SCHEDULER_MAIN = fileURLToPath(new URL('../../../cmd/kube-scheduler/main.js', import.meta.url));

interface SchedulerProcess { name: string; proc: ChildProcess; lines: Record<string, unknown>[]; leading(): boolean }

function startScheduler(name: string, master: string): SchedulerProcess {
  const proc = spawn(process.execPath, [
    SCHEDULER_MAIN, '--master', master, '--port', '0',
    '--leader-elect-lease-duration', '10s', '--leader-elect-renew-deadline', '8s', '--leader-elect-retry-period', '1s',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not a log line */ }
    }
  });
  return { name, proc, lines, leading: () => lines.some((l) => l['msg'] === 'Started leading') };
}

/** Signals the process and resolves with its exit code, also when it had already exited. */
async function kill(proc: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  }
  return proc.exitCode;
}

t.test('killing the active scheduler with a standby running: every pod is scheduled exactly once', { timeout: 90_000 }, async (t) => {
  const c = await startSchedulerCluster(t);
  for (let i = 0; i < 4; i++) await c.createNode(`node-${i}`, { cpu: '10' });
  const a = startScheduler('a', c.url);
  const b = startScheduler('b', c.url);
  t.teardown(() => { for (const p of [a, b]) if (p.proc.exitCode === null) p.proc.kill('SIGKILL'); });
  await until('one leads', () => a.leading() || b.leading());
  const [active, standby] = a.leading() ? [a, b] : [b, a];
  const pods = c.client.resource('pods');

  const total = 120;
  const creating = (async () => {
    for (let i = 0; i < total; i++) await c.createPod(`p-${i}`, { cpu: '100m' });
  })();
  const boundCount = async () => (await pods.list('default')).items.filter((p) => p.spec?.nodeName).length;
  await until('some pods bound by the first leader', async () => (await boundCount()) >= 30, 20_000, 200);
  if (!t.equal(active.proc.exitCode, null, 'the first leader is still running (it did not lose its lease)')) {
    for (const l of active.lines) if (Number(l['level']) >= 40 || /lead|Lease/i.test(String(l['msg']))) t.comment(JSON.stringify(l));
  }
  await kill(active.proc, 'SIGKILL');
  await creating;
  // The lease lasts 10 s; a standby that waited for anything more than its expiry would miss this.
  await until('the standby leads within two lease durations', () => standby.leading(), 20_000);
  await until('all pods bound', async () => (await boundCount()) === total, 30_000, 200);

  const { items } = await pods.list('default');
  const { items: events } = await c.client.resource('events').list('default');
  const binds = new Map<string, string[]>();
  for (const p of [active, standby]) {
    for (const l of p.lines) {
      if (l['msg'] !== 'Successfully bound pod to node') continue;
      const key = String(l['pod']);
      binds.set(key, [...(binds.get(key) ?? []), `${p.name}:${String(l['node'])}`]);
    }
  }
  let twice = 0;
  let mismatched = 0;
  for (const pod of items) {
    const key = `default/${pod.metadata?.name}`;
    if ((binds.get(key)?.length ?? 0) > 1) twice++;
    const scheduled = events.filter((e) => e.reason === 'Scheduled' && e.involvedObject.name === pod.metadata?.name);
    if (scheduled.length > 1 || scheduled.some((e) => e.message !== `Successfully assigned ${key} to ${pod.spec?.nodeName}`)) mismatched++;
  }
  t.equal(twice, 0, 'no pod was bound twice');
  t.equal(mismatched, 0, 'at most one Scheduled event per pod, naming the node it is bound to');
  const rejected = events.filter((e) => e.reason === 'FailedScheduling' && /binding rejected/.test(e.message ?? '')).length;
  t.comment(`${binds.size} binds logged (${[...binds.values()].flat().filter((x) => x.startsWith(`${standby.name}:`)).length} by the standby); ${rejected} bindings rejected by the apiserver`);
  t.ok(standby.lines.some((l) => l['msg'] === 'Successfully bound pod to node'), 'the standby scheduled pods after the takeover');

  // A clean stop releases the lease.
  t.equal(await kill(standby.proc, 'SIGTERM'), 0, 'SIGTERM exits 0');
  const lease = await c.client.resource('leases').get('kube-system', 'kube-scheduler');
  t.equal(lease.spec?.holderIdentity ?? '', '', 'lease released on SIGTERM');
  t.equal(lease.spec?.leaseTransitions, 1);
});

t.test('the scheduler process serves /healthz and /metrics and honours --scheduler-name and --leader-elect=false', { timeout: 60_000 }, async (t) => {
  const c = await startSchedulerCluster(t);
  await c.createNode('n1');
  const { freePort } = await import('../../harness/free-port.js');
  const port = await freePort();
  const proc = spawn(process.execPath, [SCHEDULER_MAIN, '--master', c.url, '--port', String(port), '--scheduler-name', 'my-scheduler', '--leader-elect=false'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  await until('healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true);
  t.equal(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), 'ok');
  await until('readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
  await c.createPod('mine', { schedulerName: 'my-scheduler' });
  await c.createPod('default-one');
  t.equal((await c.waitForBound('mine')).spec?.nodeName, 'n1');
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.match(metrics, /scheduler_schedule_attempts_total\{result="scheduled",profile="my-scheduler"\} 1/);
  t.match(metrics, /scheduler_pending_pods\{queue="active"\} 0/);
  t.notOk((await c.getPod('default-one')).spec?.nodeName, 'not ours');
  await c.client.resource('leases').get('kube-system', 'kube-scheduler').then(
    () => t.fail('no lease without leader election'),
    () => t.pass('no lease without leader election'),
  );
});

t.test('the scheduler process resumes after the apiserver is SIGKILLed and restarted', { timeout: 90_000 }, async (t) => {
  const { testEtcd, uniquePrefix } = await import('../../harness/etcd.js');
  const { startApiServer } = await import('../../harness/apiserver.js');
  const { RestClient } = await import('../../../pkg/client/rest-client.js');
  const api = await startApiServer(await testEtcd(t), uniquePrefix('sched'));
  const client = new RestClient({ server: api.url });
  const proc = spawn(process.execPath, [SCHEDULER_MAIN, '--master', api.url, '--port', '0', '--leader-elect=false'], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(async () => { await kill(proc, 'SIGKILL'); await client.destroy(); await api.kill(); });
  const nodes = client.resource('nodes');
  const node = await nodes.create('', { metadata: { name: 'n1' } });
  await nodes.updateStatus('', { ...node, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
  const pods = client.resource('pods');
  const pod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } });
  await pods.create('default', pod('before'));
  await until('before bound', async () => !!(await pods.get('default', 'before')).spec?.nodeName);
  await api.kill('SIGKILL');
  await api.restart();
  await pods.create('default', pod('after'));
  await until('after bound', async () => !!(await pods.get('default', 'after')).spec?.nodeName, 40_000);
  t.equal(proc.exitCode, null, 'the scheduler kept running');
  t.equal((await pods.get('default', 'after')).spec?.nodeName, 'n1');
});
