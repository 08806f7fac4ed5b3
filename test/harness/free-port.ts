import { createServer } from 'node:net';

// Ports this process has handed out: the kernel may give the same free port to two calls in a
// row, and two processes told the same port fail as one of them binds it.
const handedOut = new Set<number>();

function bindAndRelease(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await bindAndRelease();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

const addressInUse = (err: unknown) => /EADDRINUSE|address already in use/i.test(String((err as Error)?.message ?? err));

/**
 * Runs `start` with `count` free ports, and again with other ports when another process took
 * one in the moment between freePort and the bind (the error then says the address is in use).
 */
export async function onFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      return await start(ports);
    } catch (err) {
      if (attempt >= attempts || !addressInUse(err)) throw err;
    }
  }
}
