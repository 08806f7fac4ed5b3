import t from 'tap';
import { FakeRuntime } from '../../../../pkg/kubelet/runtime/fake-runtime.js';
import { InstrumentedRuntime } from '../../../../pkg/kubelet/runtime/instrumented-runtime.js';
import { ContainerNotFoundError } from '../../../../pkg/kubelet/runtime/runtime-errors.js';

t.test('counts each runtime call by its CRI operation name, and the ones that threw', async (t) => {
  const rt = new InstrumentedRuntime(new FakeRuntime({ nodeName: 'n1', images: ['img'] }));
  const sb = await rt.runSandbox({ metadata: { name: 'p', namespace: 'ns', uid: 'u1', attempt: 0 } });
  await rt.listSandboxes({ podUid: 'u1' });
  await rt.sandboxStatus(sb);
  const c = await rt.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: 'img' });
  await rt.startContainer(c);
  await rt.listContainers();
  await rt.listContainers({ podUid: 'u1' });
  await rt.containerStatus(c);
  await rt.imageStatus('img');
  await t.rejects(rt.containerStatus('missing'), ContainerNotFoundError);
  t.same(Object.fromEntries(rt.operations), {
    run_podsandbox: 1, list_podsandbox: 1, podsandbox_status: 1, create_container: 1, start_container: 1,
    list_containers: 2, container_status: 2, image_status: 1,
  });
  t.same(Object.fromEntries(rt.errors), { container_status: 1 });
  const text = rt.metricsText();
  t.match(text, /^# TYPE kubelet_runtime_operations_total counter$/m);
  t.match(text, /^kubelet_runtime_operations_total\{operation_type="list_containers"\} 2$/m);
  t.match(text, /^kubelet_runtime_operations_errors_total\{operation_type="container_status"\} 1$/m);
});
