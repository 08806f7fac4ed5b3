// ProbeManager with the real probers against containers in a real Docker sandbox: exec,
// httpGet (busybox httpd, a CGI answering 500), tcpSocket, and grpc against a
// grpc.health.v1 server built on @grpc/grpc-js running inside the node image, each passing
// and failing, with upstream's event messages.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../../pkg/client/event-recorder.js';
import { DockerRuntime } from '../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import type { ContainerConfig } from '../../../pkg/kubelet/runtime/runtime.js';
import { ProbeManager } from '../../../pkg/kubelet/probes/probe-manager.js';
import { tcpProbe } from '../../../pkg/kubelet/probes/tcp-probe.js';
import { ensureImage, requireDocker } from '../../harness/docker.js';

const BUSYBOX = 'busybox:1.35';
const NODE_IMAGE = 'tskube/node:20';
const NODE_MODULES = fileURLToPath(new URL('../../../../node_modules', import.meta.url));
const run = `${process.pid}-${Date.now().toString(36)}`;

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A grpc.health.v1.Health server on grpc-js with a hand-written service definition. */
const GRPC_SERVER = `
const grpc = require('@grpc/grpc-js');
const statuses = { '': 1, down: 2 };
// Messages are objects, as generated code makes them: grpc-js treats a falsy request as none.
const decodeRequest = (b) => ({ service: b.length > 2 && b[0] === 0x0a ? b.subarray(2, 2 + b[1]).toString() : '' });
const service = {
  Check: {
    path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
    requestSerialize: (r) => Buffer.from([0x0a, Buffer.byteLength(r.service), ...Buffer.from(r.service)]),
    requestDeserialize: decodeRequest,
    responseSerialize: (r) => Buffer.from([0x08, r.status]),
    responseDeserialize: (b) => ({ status: b[1] ?? 0 }),
  },
};
const server = new grpc.Server();
server.addService(service, {
  Check: (call, cb) => {
    const status = statuses[call.request.service];
    if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
    else cb(null, { status });
  },
});
server.bindAsync('0.0.0.0:50051', grpc.ServerCredentials.createInsecure(), () => console.log('serving'));
`;

t.test('probes against real containers', async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage(BUSYBOX);
  await ensureImage(NODE_IMAGE);
  const rt = new DockerRuntime({ nodeName: `e2e-probes-${run}` });
  const dir = await mkdtemp(join(tmpdir(), 'probes-e2e-'));
  await writeFile(join(dir, 'health-server.cjs'), GRPC_SERVER);
  t.teardown(async () => {
    for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.id);
    await rt.close();
    await rm(dir, { recursive: true, force: true });
  });

  const uid = `uid-${run}`;
  const sandboxId = await rt.runSandbox({ metadata: { name: 'probed', namespace: 'e2e', uid, attempt: 0 } });
  const podIP = (await rt.sandboxStatus(sandboxId)).ip;
  t.match(podIP, /^\d+\.\d+\.\d+\.\d+$/);
  const start = async (name: string, config: Omit<ContainerConfig, 'metadata'>) => {
    const id = await rt.createContainer(sandboxId, { metadata: { name, attempt: 0 }, ...config });
    await rt.startContainer(id);
    return id;
  };
  const mainId = await start('main', { image: BUSYBOX, command: ['sleep', '3600'] });
  const webId = await start('web', {
    image: BUSYBOX,
    command: ['sh', '-c', [
      'mkdir -p /www/cgi-bin && echo ok > /www/index.html',
      'printf "#!/bin/sh\\necho \\"Status: 500 Internal Server Error\\"\\necho\\necho broken\\n" > /www/cgi-bin/fail',
      'chmod +x /www/cgi-bin/fail',
      'exec httpd -f -p 8080 -h /www',
    ].join(' && ')],
  });
  const grpcId = await start('grpc', {
    image: NODE_IMAGE, command: ['node', '/srv/health-server.cjs'], env: [{ name: 'NODE_PATH', value: '/nm' }],
    mounts: [{ hostPath: dir, containerPath: '/srv', readOnly: true }, { hostPath: NODE_MODULES, containerPath: '/nm', readOnly: true }],
  });
  await until('the grpc server to listen', async () => (await tcpProbe(podIP!, 50051, 1000)).result === 'success' || undefined);

  const events: string[] = [];
  const liveness: string[] = [];
  const recorder = { event: (_o: unknown, _type: string, reason: string, message: string) => { events.push(`${reason}: ${message}`); } } as unknown as EventRecorder;
  const pm = new ProbeManager({
    runtime: rt, log: pino({ level: 'silent' }), recorder,
    onLivenessFailure: (_uid, name, type) => { liveness.push(`${name}/${type}`); },
    onChange: () => {},
  });
  t.teardown(() => pm.stop());
  const pod: Pod = { metadata: { name: 'probed', namespace: 'e2e', uid }, spec: { containers: [] } };
  const fast = (p: Probe): Probe => ({ periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, ...p });
  const probeAs = (name: string, containerId: string, spec: Partial<Container>) => {
    pm.addContainer(pod, { name, ...spec }, containerId, podIP, Date.now());
  };
  const eventMatching = (re: RegExp) => until(`an event matching ${re}`, () => events.find((e) => re.test(e)))
    .catch((err: Error) => { throw new Error(`${err.message}; events: ${JSON.stringify([...new Set(events)])}`); });

  await t.test('exec: fails until the file exists, then passes; a timeout is a failure', async (t) => {
    probeAs('exec-ready', mainId, { readinessProbe: fast({ exec: { command: ['cat', '/tmp/ready'] } }) });
    t.equal(await eventMatching(/^Unhealthy: Readiness probe failed: cat: can't open '\/tmp\/ready': No such file or directory/),
      "Unhealthy: Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\n");
    t.equal(pm.isReady(uid, 'exec-ready'), false);
    await rt.exec(mainId, ['touch', '/tmp/ready']);
    await until('exec readiness', () => pm.isReady(uid, 'exec-ready'));
    t.pass('ready once the command exits 0');

    probeAs('exec-slow', mainId, { livenessProbe: fast({ exec: { command: ['sleep', '5'] } }) });
    t.ok(await eventMatching(/^Unhealthy: Liveness probe failed: command "sleep 5" timed out$/));
    await until('liveness failure', () => liveness.includes('exec-slow/liveness'));
  });

  await t.test('httpGet: 200 passes, a CGI answering 500 fails with its status code', async (t) => {
    probeAs('http-ok', webId, { ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: fast({ httpGet: { path: '/index.html', port: 'http' } }) });
    await until('http readiness', () => pm.isReady(uid, 'http-ok'));
    probeAs('http-500', webId, { readinessProbe: fast({ httpGet: { path: '/cgi-bin/fail', port: 8080 } }) });
    t.ok(await eventMatching(/^Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500$/));
    t.equal(pm.isReady(uid, 'http-500'), false);
    probeAs('http-closed', webId, { livenessProbe: fast({ httpGet: { path: '/', port: 8081 } }) });
    t.ok(await eventMatching(new RegExp(`^Unhealthy: Liveness probe failed: Get "http://${podIP!.replace(/\./g, '\\.')}:8081/": dial tcp ${podIP!.replace(/\./g, '\\.')}:8081: connect: connection refused$`)));
  });

  await t.test('tcpSocket: an open port passes, a closed one fails', async (t) => {
    probeAs('tcp-ok', webId, { readinessProbe: fast({ tcpSocket: { port: 8080 } }) });
    await until('tcp readiness', () => pm.isReady(uid, 'tcp-ok'));
    probeAs('tcp-closed', webId, { livenessProbe: fast({ tcpSocket: { port: 9999 } }) });
    t.ok(await eventMatching(new RegExp(`^Unhealthy: Liveness probe failed: dial tcp ${podIP!.replace(/\./g, '\\.')}:9999: connect: connection refused$`)));
    await until('liveness failure', () => liveness.includes('tcp-closed/liveness'));
  });

  await t.test('grpc: SERVING passes; NOT_SERVING and unknown services fail', async (t) => {
    probeAs('grpc-ok', grpcId, { startupProbe: fast({ grpc: { port: 50051 } }), readinessProbe: fast({ grpc: { port: 50051 } }) });
    await until('grpc readiness', () => pm.isReady(uid, 'grpc-ok'));
    t.equal(pm.isStarted(uid, 'grpc-ok'), true);
    probeAs('grpc-down', grpcId, { readinessProbe: fast({ grpc: { port: 50051, service: 'down' } }) });
    t.ok(await eventMatching(/^Unhealthy: Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$/));
    probeAs('grpc-unknown', grpcId, { livenessProbe: fast({ grpc: { port: 50051, service: 'nope' } }) });
    t.ok(await eventMatching(/^Unhealthy: Liveness probe failed: error: health rpc probe failed: rpc error: code = NotFound desc = unknown service$/));
    probeAs('grpc-closed', grpcId, { startupProbe: fast({ grpc: { port: 50052 } }) });
    t.ok(await eventMatching(new RegExp(`^Unhealthy: Startup probe failed: timeout: failed to connect service "${podIP!.replace(/\./g, '\\.')}:50052" within 1s: context deadline exceeded$`)));
    await until('startup failure', () => liveness.includes('grpc-closed/startup'));
  });
});
