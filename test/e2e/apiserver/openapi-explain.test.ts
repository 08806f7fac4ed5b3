// Throwaway check that the real kubectl understands our OpenAPI documents: a bare node http
// server serves minimal legacy discovery plus /openapi/v2 and /openapi/v3, and
// `kubectl explain` runs against it.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RESOURCES, groupVersion, groupVersions } from '../../../pkg/api/resources.js';
import { SchemaRegistry } from '../../../pkg/apiserver/validation.js';
import { openApiV2Document, openApiV3Document, openApiV3Index } from '../../../pkg/apiserver/openapi.js';

const run = promisify(execFile);
const reg = SchemaRegistry.load();

function resourceList(gv: string): object {
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
    resources: RESOURCES.filter((r) => groupVersion(r) === gv).map((r) => ({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
  };
}

function answer(url: URL): object | Buffer | undefined {
  const p = url.pathname;
  if (p === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' };
  if (p === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (p === '/apis') {
    return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: groupVersions().filter((g) => g.group).map((g) => ({
        name: g.group,
        versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
      })),
    };
  }
  if (p === '/api/v1') return resourceList('v1');
  const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(p);
  if (gv) return resourceList(gv[1]!);
  if (p === '/openapi/v2') return openApiV2Document(reg).body;
  if (p === '/openapi/v3') return openApiV3Index(reg);
  if (p.startsWith('/openapi/v3/')) return openApiV3Document(reg, p.slice('/openapi/v3/'.length))?.body;
  return undefined;
}

t.test('kubectl explain reads field docs from our OpenAPI v3 documents', async (t) => {
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST') {
      // Enough of a create for `kubectl apply`: echo the object back.
      posts.push(req.url ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(Buffer.concat(chunks)));
      return;
    }
    const body = answer(new URL(req.url ?? '/', 'http://x'));
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const cache = mkdtempSync(join(tmpdir(), 'tskube-explain-'));
  t.teardown(() => { server.close(); rmSync(cache, { recursive: true, force: true }); });
  const kubectl = (...args: string[]) =>
    run('kubectl', [...args, `--server=http://127.0.0.1:${port}`, `--cache-dir=${cache}`], { env: { ...process.env, KUBECONFIG: '/dev/null' }, timeout: 60_000 });

  const containers = await kubectl('explain', 'pod.spec.containers');
  t.match(containers.stdout, /KIND:\s+Pod/);
  t.match(containers.stdout, /FIELD:\s+containers <\[\]Container>/);
  t.match(containers.stdout, /List of containers belonging to the pod\./);
  t.match(containers.stdout, /image\s+<string>/);
  t.match(containers.stdout, /name\s+<string> -required-/);

  const deploy = await kubectl('explain', 'deployment.spec.strategy');
  t.match(deploy.stdout, /GROUP:\s+apps/);
  t.match(deploy.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);

  // apply's default --validate=strict passes only if the v3 doc shows the server validates fields.
  const manifest = join(cache, 'deploy.json');
  writeFileSync(manifest, JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } } } }));
  const applied = await kubectl('apply', '-f', manifest);
  t.match(applied.stdout, /deployment.apps\/web created/);
  t.match(posts, [/^\/apis\/apps\/v1\/namespaces\/default\/deployments\?.*fieldValidation=Strict/]);

  // `--output=plaintext-openapiv2` needs /openapi/v2 as gnostic protobuf, which we do not serve.
});
