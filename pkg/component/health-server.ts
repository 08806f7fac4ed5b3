// The health and metrics port of the control-plane components (kube-scheduler on 10259,
// kube-controller-manager on 10257): /healthz, /livez, /readyz and /metrics. Plain HTTP on
// loopback by default; upstream serves these over HTTPS.
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { sendText, startComponentServer, type ComponentRoute, type HttpServerLimits, type RunningHttpServer } from './http-server.js';

export interface HealthServerOptions extends HttpServerLimits {
  port: number;
  bindAddress: string;
  registry: Registry;
  log: Logger;
  /** The name of the /readyz check that fails (e.g. informers not synced yet), or undefined when ready. */
  notReady?: () => string | undefined;
}

export function startHealthServer(opts: HealthServerOptions): Promise<RunningHttpServer> {
  const { port, bindAddress, registry, log, notReady, ...limits } = opts;
  const GET = ['GET'];
  const health = (name: 'healthz' | 'livez' | 'readyz'): ComponentRoute => ({
    path: `/${name}`,
    methods: GET,
    handler: ({ res }) => {
      // A live process answers /healthz and /livez; /readyz also wants its check to pass.
      const failed = name === 'readyz' ? notReady?.() : undefined;
      if (failed === undefined) return sendText(res, 200, 'ok');
      // Upstream's healthz handler: failed checks withhold their reason from the body.
      return sendText(res, 500, `[-]${failed} failed: reason withheld\n${name} check failed\n`);
    },
  });
  return startComponentServer({
    ...limits,
    port,
    address: bindAddress,
    log,
    routes: [
      health('healthz'), health('livez'), health('readyz'),
      {
        path: '/metrics',
        methods: GET,
        handler: async ({ res }) => {
          const text = await registry.metrics();
          res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) }).end(text);
        },
      },
    ],
  });
}
