// tcpSocket probes (pkg/probe/tcp DoTCPProbe): a connection that opens within the timeout
// succeeds and is closed at once; anything else fails with Go's dial error text.
import net from 'node:net';
import { goNetError } from './http-get.js';
import type { ProbeOutcome } from './probe-result.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const addr = { hostname: host, port: String(port) };
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'failure', output: `dial tcp ${host.includes(':') ? `[${host}]` : host}:${port}: i/o timeout` });
    }, Math.max(1, timeoutMs));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ result: 'success', output: '' });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: goNetError(err, addr) });
    });
  });
}
