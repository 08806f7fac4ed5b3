// pkg/client over real HTTP against the in-memory fake server.
import t from 'tap';
import { isAlreadyExists, isConflict, isGone, isNotFound, StatusError } from '../../../pkg/api/errors.js';
import { RestClient } from '../../../pkg/client/rest-client.js';
import { SharedInformer, DeletedFinalStateUnknown } from '../../../pkg/client/informer.js';
import { listWatchFor } from '../../../pkg/client/reflector.js';
import { EventRecorder } from '../../../pkg/client/event-recorder.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startFakeApiServer } from './fake-api-server.js';

t.test('verbs map onto the REST wire and errors keep the server Status', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url, token: 'tok', userAgent: 'test/1' });
  t.teardown(async () => { await client.destroy(); await server.close(); });
  const cms = client.resource('configmaps');

  const created = await cms.create('ns', { metadata: { name: 'a' }, data: { k: 'v' } });
  t.equal(created.metadata?.resourceVersion, '101');
  t.same(server.requests.at(-1)?.body, { metadata: { name: 'a' }, data: { k: 'v' }, apiVersion: 'v1', kind: 'ConfigMap' });
  t.equal(server.requests.at(-1)?.url, '/api/v1/namespaces/ns/configmaps');

  const err = await cms.create('ns', { metadata: { name: 'a' } }).catch((e: unknown) => e);
  t.ok(err instanceof StatusError && isAlreadyExists(err));
  t.equal((err as StatusError).message, 'configmaps "a" already exists');
  t.same((err as StatusError).status.details, { name: 'x' }, 'details preserved');

  const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' } };
  t.ok(isConflict(await cms.update('ns', stale).catch((e: unknown) => e)));
  const updated = await cms.update('ns', { ...created, data: { k: 'w' } });
  t.equal(updated.data?.['k'], 'w');

  await cms.patch('ns', 'a', 'merge', { data: { k: 'p' } });
  t.equal(server.requests.at(-1)?.contentType, 'application/merge-patch+json');
  await cms.patch('ns', 'a', 'strategic', { data: { k: 'q' } }, { fieldManager: 'me' });
  t.equal(server.requests.at(-1)?.contentType, 'application/strategic-merge-patch+json');
  t.match(server.requests.at(-1)?.url, /fieldManager=me/);

  const list = await cms.list('ns', { labelSelector: 'a=b', limit: 5 });
  t.equal(list.items.length, 1);
  t.match(server.requests.at(-1)?.url, /labelSelector=a%3Db&limit=5/);

  await cms.delete('ns', 'a', { propagationPolicy: 'Foreground' });
  t.same(server.requests.at(-1)?.body, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
  t.ok(isNotFound(await cms.get('ns', 'a').catch((e: unknown) => e)));

  const raw = await client.raw('GET', '/nope').catch((e: unknown) => e);
  t.ok(isNotFound(raw));
  t.equal(client.path(client.resource('deployments').info, 'ns', 'd', 'scale'), '/apis/apps/v1/namespaces/ns/deployments/d/scale');
  t.equal(client.path(client.resource('nodes').info, 'ignored', 'n1'), '/api/v1/nodes/n1');
});

t.test('watch streams events, ends on abort, and throws 410 for a compacted RV', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  t.teardown(async () => { await client.destroy(); await server.close(); });
  const cms = client.resource('configmaps');
  await cms.create('ns', { metadata: { name: 'a' } });
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const ev of cms.watch('ns', { resourceVersion: '100', signal: ac.signal })) {
      seen.push(`${ev.type} ${ev.object.metadata?.name ?? ''}`);
      if (seen.length === 1) await cms.create('ns', { metadata: { name: 'b' } });
      if (seen.length === 2) ac.abort();
    }
  })();
  await done;
  t.same(seen, ['ADDED a', 'ADDED b'], 'iteration ended quietly on abort');

  server.compact();
  const err = await (async () => { for await (const _ of cms.watch('ns', { resourceVersion: '100' })) { /* none */ } })().catch((e: unknown) => e);
  t.ok(isGone(err));
});

t.test('an informer over HTTP delivers deletes it missed while its history was compacted', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  const cms = client.resource('configmaps');
  await cms.create('ns', { metadata: { name: 'keep' } });
  await cms.create('ns', { metadata: { name: 'doomed' } });
  const informer = new SharedInformer<ConfigMap>(listWatchFor(client, cms.info, { namespace: 'ns' }), {
    backoff: { initialMs: 1, maxMs: 10, resetAfterMs: 1000 },
  });
  const deleted: string[] = [];
  informer.addEventHandler({ delete: (o) => { deleted.push(o instanceof DeletedFinalStateUnknown ? `tombstone ${o.key}` : o.metadata?.name ?? ''); } });
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  t.teardown(async () => { ac.abort(); await running; await client.destroy(); await server.close(); });
  while (!informer.hasSynced()) await new Promise((r) => setTimeout(r, 5));
  t.equal(informer.lister.get('ns', 'keep')?.kind, 'ConfigMap', 'list items get their kind');

  // Cut the watch, change things while it can't reconnect, forget the history: it must relist.
  server.pauseWatches();
  server.closeWatches();
  await cms.delete('ns', 'doomed');
  await cms.create('ns', { metadata: { name: 'new' } });
  server.compact();
  server.resumeWatches();
  while (!informer.lister.get('ns', 'new')) await new Promise((r) => setTimeout(r, 5));
  t.same(informer.lister.list().map((o) => o.metadata?.name).sort(), ['keep', 'new']);
  while (deleted.length === 0) await new Promise((r) => setTimeout(r, 5));
  t.same(deleted, ['tombstone ns/doomed']);
});

t.test('the event recorder creates Events like client-go and folds repeats into count', async (t) => {
  const server = await startFakeApiServer();
  const client = new RestClient({ server: server.url });
  t.teardown(async () => { await client.destroy(); await server.close(); });
  const recorder = new EventRecorder(client, { component: 'replicaset-controller', host: 'h1' });
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'ns', name: 'web-1', uid: 'u1', resourceVersion: '7' } };
  recorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-1-x');
  recorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-1-x');
  recorder.event({ kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1' } }, 'Warning', 'NodeNotReady', 'down');
  await recorder.flush();
  const writes = server.requests.filter((r) => r.method !== 'GET');
  t.equal(writes.length, 3);
  const ev = writes[0]?.body as Record<string, unknown> & { metadata: { name: string; namespace: string } };
  t.match(ev.metadata.name, /^web-1\.[0-9a-f]+$/);
  t.equal(ev.metadata.namespace, 'ns');
  t.same(ev['involvedObject'], { kind: 'ReplicaSet', namespace: 'ns', name: 'web-1', uid: 'u1', apiVersion: 'apps/v1', resourceVersion: '7' });
  t.same(ev['source'], { component: 'replicaset-controller', host: 'h1' });
  t.equal(ev['count'], 1);
  t.equal(ev['type'], 'Normal');
  t.ok(ev['firstTimestamp'] && ev['lastTimestamp']);
  t.equal(writes[1]?.method, 'PATCH');
  t.equal(writes[1]?.url, `/api/v1/namespaces/ns/events/${ev.metadata.name}`);
  t.equal((writes[1]?.body as { count: number }).count, 2);
  t.equal((writes[2]?.body as { metadata: { namespace: string } }).metadata.namespace, 'default', 'cluster-scoped objects: default namespace');

  // A failing server never throws into the caller.
  await server.close();
  recorder.event(rs, 'Warning', 'FailedCreate', 'x');
  await recorder.flush();
  t.pass('no throw');
});
