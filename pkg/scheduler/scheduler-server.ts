// kube-scheduler's own HTTP endpoints: /healthz (and /livez, /readyz) and /metrics.
// Plain HTTP on loopback by default; Kubernetes serves these over HTTPS on 10259.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface SchedulerServerOptions {
  port: number;
  bindAddress: string;
  registry: Registry;
  /** The /readyz check that fails (informers not synced yet), or undefined when ready. */
  notReady: () => string | undefined;
}

export interface SchedulerServer { port: number; close(): Promise<void> }

export async function startSchedulerServer(opts: SchedulerServerOptions): Promise<SchedulerServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      // A live process answers /healthz and /livez; /readyz also wants synced informers.
      const problem = path === '/readyz' ? opts.notReady() : undefined;
      res.writeHead(problem ? 500 : 200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(problem ? `[-]${problem} failed\n${path.slice(1)} check failed\n` : 'ok');
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${String(err)}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
