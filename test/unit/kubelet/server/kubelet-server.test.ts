// The kubelet server over a scripted runtime: health, metrics, log options passed through,
// limitBytes, follow streaming and cancellation, error Status bodies, and instance lookup.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { pino } from 'pino';
import { ContainerLogsError, KubeletServer, parseLogOptions } from '../../../../pkg/kubelet/server/kubelet-server.js';
import { findLogContainer } from '../../../../pkg/kubelet/server/find-log-container.js';
import type { ContainerRuntime, LogOptions, RuntimeContainer } from '../../../../pkg/kubelet/runtime/runtime.js';

interface Call { id: string; options: LogOptions }

function scriptedRuntime(calls: Call[], following: { aborted: boolean }): ContainerRuntime {
  return {
    logs(id: string, options: LogOptions = {}) {
      const { signal: _signal, ...rest } = options;
      calls.push({ id, options: rest });
      return (async function* () {
        if (id === 'broken') throw new Error('container "broken" not found');
        yield Buffer.from('line 1\n');
        yield Buffer.from('line 2\n');
        if (!options.follow) return;
        for (let i = 3; ; i++) {
          try {
            await sleep(20, undefined, { signal: options.signal });
          } catch {
            following.aborted = true;
            return;
          }
          yield Buffer.from(`line ${i}\n`);
        }
      })();
    },
  } as unknown as ContainerRuntime;
}

async function start(t: { teardown(fn: () => unknown): void }) {
  const calls: Call[] = [];
  const following = { aborted: false };
  const server = new KubeletServer({
    runtime: scriptedRuntime(calls, following), address: '127.0.0.1', port: 0, log: pino({ level: 'silent' }),
    findContainer: async (ns, pod, c, previous) => {
      if (c === 'waiting') throw new ContainerLogsError(`container "${c}" in pod "${pod}" is waiting to start: ContainerCreating`);
      if (ns !== 'default' || pod !== 'web' || c === 'missing') return undefined;
      if (previous) return c === 'restarted' ? 'old' : undefined;
      return c === 'broken' ? 'broken' : 'cid';
    },
    metricsText: async () => '# HELP x y\nx 1\n',
  });
  await server.start();
  t.teardown(() => server.close());
  return { server, calls, following, base: `http://127.0.0.1:${server.port}` };
}

t.test('healthz and metrics', async (t) => {
  const { base } = await start(t);
  const h = await request(`${base}/healthz`);
  t.equal(h.statusCode, 200);
  t.equal(await h.body.text(), 'ok');
  const m = await request(`${base}/metrics`);
  t.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.equal(await m.body.text(), '# HELP x y\nx 1\n');
});

t.test('logs pass the options through and honour limitBytes', async (t) => {
  const { base, calls } = await start(t);
  const r = await request(`${base}/containerLogs/default/web/c?tailLines=5&timestamps=true&sinceSeconds=30`);
  t.equal(r.statusCode, 200);
  t.match(r.headers['content-type'], /^text\/plain/);
  t.equal(await r.body.text(), 'line 1\nline 2\n');
  t.same(calls[0], { id: 'cid', options: { tailLines: 5, timestamps: true, sinceSeconds: 30 } });
  const cut = await request(`${base}/containerLogs/default/web/c?limitBytes=10`);
  t.equal(await cut.body.text(), 'line 1\nlin');
  const prev = await request(`${base}/containerLogs/default/web/restarted?previous=true`);
  t.equal(prev.statusCode, 200);
  t.equal(calls.at(-1)?.id, 'old');
});

t.test('follow streams until the client goes away', async (t) => {
  const { base, following } = await start(t);
  const ac = new AbortController();
  const r = await request(`${base}/containerLogs/default/web/c?follow=true`, { signal: ac.signal });
  let text = '';
  for await (const chunk of r.body) {
    text += chunk.toString();
    if (text.includes('line 4\n')) break;
  }
  t.match(text, /^line 1\nline 2\nline 3\nline 4\n/);
  ac.abort();
  for (let i = 0; i < 50 && !following.aborted; i++) await sleep(20);
  t.ok(following.aborted, 'the runtime stream was cancelled');
});

t.test('errors are Status bodies with the kubelet messages', async (t) => {
  const { base } = await start(t);
  const status = async (path: string) => {
    const r = await request(`${base}${path}`);
    return { code: r.statusCode, body: await r.body.json() as { message: string; code: number; kind: string } };
  };
  let s = await status('/containerLogs/default/web/missing');
  t.equal(s.code, 404);
  t.same({ kind: s.body.kind, code: s.body.code, message: s.body.message }, { kind: 'Status', code: 404, message: 'container "missing" in pod "web" is not available' });
  s = await status('/containerLogs/default/web/c?previous=true');
  t.equal(s.body.message, 'previous terminated container "c" in pod "web" not found');
  s = await status('/containerLogs/default/web/waiting');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'container "waiting" in pod "web" is waiting to start: ContainerCreating');
  s = await status('/containerLogs/default/web/broken');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'container "broken" not found');
  s = await status('/containerLogs/default/web/c?tailLines=-1');
  t.equal(s.code, 422);
  s = await status('/containerLogs/default/web/');
  t.equal(s.code, 400);
  t.equal(s.body.message, 'Missing container name.');
});

t.test('parseLogOptions follows PodLogOptions decoding and validation', async (t) => {
  t.same(parseLogOptions({ tail: 'all' }), { previous: false, limitBytes: undefined, options: {} });
  t.same(parseLogOptions({ tail: '3', follow: '1', previous: 'True' }), { previous: true, limitBytes: undefined, options: { follow: true, tailLines: 3 } });
  t.equal(parseLogOptions({ follow: 'yes' }), 'Unable to decode query.');
  t.equal(parseLogOptions({ sinceSeconds: '5', sinceTime: '2024-01-01T00:00:00Z' }), 'Invalid request.');
  t.equal(parseLogOptions({ limitBytes: '0' }), 'Invalid request.');
});

t.test('findLogContainer picks the newest attempt, or the one before it for previous', async (t) => {
  const c = (id: string, attempt: number, uid = 'u1', createdAt = `2024-01-01T00:00:0${attempt}Z`): RuntimeContainer => ({
    id, sandboxId: 's', metadata: { name: 'app', attempt }, pod: { name: 'web', namespace: 'default', uid }, state: 'exited',
    createdAt, image: 'busybox', imageId: 'sha256:x', restartCount: attempt, labels: {}, annotations: {},
  });
  let listed: RuntimeContainer[] = [c('a0', 0), c('a2', 2), c('a1', 1)];
  const rt = { listContainers: async () => listed };
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', false), 'a2');
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', true), 'a1');
  listed = [c('a0', 0)];
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web', uid: 'u1' }, 'app', true), undefined);
  listed = [c('old', 3, 'u-old', '2024-01-01T00:00:00Z'), c('new', 0, 'u-new', '2024-01-02T00:00:00Z')];
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', false), 'new', 'a re-created pod of the same name wins');
  t.equal(await findLogContainer(rt, { namespace: 'default', name: 'web' }, 'app', true), undefined);
});
