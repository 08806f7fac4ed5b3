import t from 'tap';
import {
  containerName, dockerContainerConfig, dockerSandboxConfig, sandboxName,
} from '../../../../pkg/kubelet/runtime/docker/docker-container-config.js';
import { imageRef, toContainerStatus } from '../../../../pkg/kubelet/runtime/docker/docker-container-status.js';
import { splitImageRef } from '../../../../pkg/kubelet/runtime/docker/docker-runtime.js';
import type { DockerContainerInspect } from '../../../../pkg/kubelet/runtime/docker/docker-types.js';

const meta = { name: 'web', namespace: 'ns1', uid: 'u-1', attempt: 0 };
const sbOpts = { nodeName: 'n1', podInfraImage: 'registry.k8s.io/pause:3.10', networkName: 'tskube', hostPortAddress: '127.0.0.1' };

t.test('names follow dockershim', async (t) => {
  t.equal(sandboxName(meta), 'k8s_POD_web_ns1_u-1_0');
  t.equal(containerName({ name: 'app', attempt: 2 }, meta), 'k8s_app_web_ns1_u-1_2');
});

t.test('sandbox: own network, hostname, loopback hostPorts, labels namespaced', async (t) => {
  const body = dockerSandboxConfig({
    metadata: meta, labels: { app: 'web', 'io.tskube.node': 'evil' }, annotations: { a: 'b' },
    portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }, { protocol: 'UDP', containerPort: 53, hostPort: 0 }],
    dns: { servers: ['10.96.0.10'], searches: ['ns1.svc.cluster.local'], options: ['ndots:5'] },
  }, sbOpts);
  t.equal(body.Image, 'registry.k8s.io/pause:3.10');
  t.equal(body.Hostname, 'web');
  t.equal(body.HostConfig.NetworkMode, 'tskube');
  t.equal(body.HostConfig.IpcMode, 'shareable');
  t.same(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  const wildcard = dockerSandboxConfig({ metadata: meta, portMappings: [
    { protocol: 'TCP', containerPort: 80, hostPort: 81, hostIp: '0.0.0.0' },
    { protocol: 'TCP', containerPort: 80, hostPort: 82, hostIp: '127.0.0.2' },
  ] }, sbOpts);
  t.same(wildcard.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '81' }, { HostIp: '127.0.0.2', HostPort: '82' }],
  }, 'a wildcard hostIP is not published off the machine');
  t.same(body.HostConfig.Dns, ['10.96.0.10']);
  t.same(body.HostConfig.DnsOptions, ['ndots:5']);
  t.equal(body.Labels['io.tskube.node'], 'n1', 'a pod label cannot claim another node');
  t.equal(body.Labels['io.tskube.label.io.tskube.node'], 'evil');
  t.equal(body.Labels['io.tskube.annotation.a'], 'b');
  t.equal(body.Labels['io.tskube.type'], 'podsandbox');
});

t.test('hostNetwork sandbox: host mode, no hostname, nothing published', async (t) => {
  const body = dockerSandboxConfig({ metadata: meta, hostNetwork: true, portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 80 }] }, sbOpts);
  t.equal(body.HostConfig.NetworkMode, 'host');
  t.notOk(body.Hostname);
  t.notOk(body.HostConfig.PortBindings);
});

t.test('container: joins the sandbox, maps command/args, resources and security', async (t) => {
  const sandbox = { id: 'sb1', labels: dockerSandboxConfig({ metadata: meta, shareProcessNamespace: true }, sbOpts).Labels, cgroupParent: '/kubepods/pod-u-1' };
  const body = dockerContainerConfig({
    metadata: { name: 'app', attempt: 3 }, image: 'busybox:1.35',
    command: ['sh', '-c'], args: ['echo hi'], env: [{ name: 'A', value: 'x=y' }], workingDir: '/tmp',
    mounts: [{ hostPath: '/h', containerPath: '/c', readOnly: true }, { hostPath: '/h2', containerPath: '/c2' }],
    resources: { memoryLimitBytes: 1 << 26, cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000 },
    securityContext: { runAsUser: 1000, runAsGroup: 2000, readOnlyRootFilesystem: true, privileged: false },
  }, sandbox, { nodeName: 'n1', init: true });
  t.same(body.Entrypoint, ['sh', '-c']);
  t.same(body.Cmd, ['echo hi']);
  t.same(body.Env, ['A=x=y']);
  t.equal(body.User, '1000:2000');
  t.equal(body.HostConfig.NetworkMode, 'container:sb1');
  t.equal(body.HostConfig.IpcMode, 'container:sb1');
  t.equal(body.HostConfig.PidMode, 'container:sb1');
  t.equal(body.HostConfig.CgroupParent, '/kubepods/pod-u-1');
  t.same(body.HostConfig.Binds, ['/h:/c:ro', '/h2:/c2']);
  t.equal(body.HostConfig.Memory, 1 << 26);
  t.equal(body.HostConfig.MemorySwap, 1 << 26);
  t.equal(body.HostConfig.CpuShares, 256);
  t.equal(body.HostConfig.CpuQuota, 50000);
  t.equal(body.HostConfig.ReadonlyRootfs, true);
  t.notOk(body.HostConfig.Privileged);
  t.equal(body.HostConfig.Init, true);
  t.match(body.Labels, {
    'io.tskube.node': 'n1', 'io.tskube.type': 'container', 'io.tskube.sandbox.id': 'sb1', 'io.tskube.pod.uid': 'u-1',
    'io.tskube.pod.name': 'web', 'io.tskube.pod.namespace': 'ns1', 'io.tskube.container.name': 'app',
    'io.tskube.attempt': '3', 'io.tskube.container.restart-count': '3',
  });
});

t.test('container without command or args keeps the image defaults', async (t) => {
  const body = dockerContainerConfig({ metadata: { name: 'a', attempt: 0 }, image: 'x' }, { id: 'sb', labels: {} }, { nodeName: 'n', init: false });
  t.notOk('Entrypoint' in body);
  t.notOk('Cmd' in body);
  t.notOk(body.HostConfig.PidMode, 'processes are private unless the pod shares them');
});

function inspect(state: Partial<DockerContainerInspect['State']>): DockerContainerInspect {
  return {
    Id: 'c1', Name: '/k8s_a', Created: '2024-01-01T00:00:00.1Z', Image: 'sha256:abc',
    State: { Status: 'exited', Running: false, OOMKilled: false, ExitCode: 0, Error: '', StartedAt: '2024-01-01T00:00:01Z', FinishedAt: '2024-01-01T00:00:02Z', ...state },
    Config: { Image: 'busybox:1.35', Labels: { 'io.tskube.container.name': 'a', 'io.tskube.container.restart-count': '4' }, Tty: false },
    HostConfig: {}, NetworkSettings: { Networks: null },
  };
}

t.test('exit reasons as the kubelet reports them', async (t) => {
  t.equal(toContainerStatus(inspect({ ExitCode: 0 })).reason, 'Completed');
  t.equal(toContainerStatus(inspect({ ExitCode: 1 })).reason, 'Error');
  const oom = toContainerStatus(inspect({ ExitCode: 137, OOMKilled: true }));
  t.equal(oom.reason, 'OOMKilled');
  t.equal(oom.exitCode, 137);
  t.equal(oom.restartCount, 4);
  const running = toContainerStatus(inspect({ Status: 'running', Running: true, FinishedAt: '0001-01-01T00:00:00Z' }));
  t.equal(running.state, 'running');
  t.notOk('exitCode' in running);
  t.notOk('finishedAt' in running);
  const created = toContainerStatus(inspect({ Status: 'created', StartedAt: '0001-01-01T00:00:00Z' }));
  t.notOk('startedAt' in created);
  t.equal(created.state, 'created');
  const failed = toContainerStatus(inspect({ Status: 'created', ExitCode: 127, Error: 'exec: "/x": no such file' }));
  t.match(failed, { state: 'exited', exitCode: 128, reason: 'StartError', message: /no such file/ });
});

t.test('imageRef: docker-pullable with a repo digest, docker:// otherwise', async (t) => {
  t.equal(imageRef('sha256:abc'), 'docker://sha256:abc');
  t.equal(imageRef('sha256:abc', ['busybox@sha256:def']), 'docker-pullable://busybox@sha256:def');
});

t.test('image refs split into name and tag', async (t) => {
  t.same(splitImageRef('busybox'), { name: 'busybox', tag: 'latest' });
  t.same(splitImageRef('busybox:1.35'), { name: 'busybox', tag: '1.35' });
  t.same(splitImageRef('localhost:5000/x/y'), { name: 'localhost:5000/x/y', tag: 'latest' });
  t.same(splitImageRef('localhost:5000/x/y:v1'), { name: 'localhost:5000/x/y', tag: 'v1' });
  t.same(splitImageRef('x@sha256:abc'), { name: 'x', tag: 'sha256:abc' });
});
