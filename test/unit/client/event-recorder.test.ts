import t from 'tap';
import type { Event } from 'kubernetes-types/core/v1.js';
import { EventRecorder } from '../../../pkg/client/event-recorder.js';
import type { RestClient } from '../../../pkg/client/rest-client.js';

/** A RestClient whose events resource records creates and patches. */
function fakeClient() {
  const created: Event[] = [];
  const patched: { name: string; patch: unknown }[] = [];
  const events = {
    create: async (_ns: string, ev: Event) => { created.push(ev); return ev; },
    patch: async (_ns: string, name: string, _type: string, patch: unknown) => { patched.push({ name, patch }); return {}; },
  };
  const client = { resource: () => events } as unknown as RestClient;
  return { client, created, patched };
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' } };

t.test('fieldPath lands in involvedObject and keeps two containers\' events apart', async (t) => {
  const { client, created, patched } = fakeClient();
  const r = new EventRecorder(client, { component: 'kubelet', host: 'node-1' });
  r.event(pod, 'Normal', 'Started', 'Started container', { fieldPath: 'spec.containers{a}' });
  r.event(pod, 'Normal', 'Started', 'Started container', { fieldPath: 'spec.initContainers{b}' });
  r.event(pod, 'Normal', 'Started', 'Started container', { fieldPath: 'spec.containers{a}' });
  r.event(pod, 'Warning', 'FailedMount', 'm');
  await r.flush();
  t.same(created.map((e) => e.involvedObject.fieldPath), ['spec.containers{a}', 'spec.initContainers{b}', undefined]);
  t.match(created[0]?.involvedObject, { kind: 'Pod', name: 'p', namespace: 'ns', uid: 'u1' });
  t.equal(patched.length, 1, 'the repeat for container a is a count patch');
  t.equal(patched[0]?.name, created[0]?.metadata.name);
  t.notOk('fieldPath' in (created[2]?.involvedObject ?? {}), 'no fieldPath without the option');
});
