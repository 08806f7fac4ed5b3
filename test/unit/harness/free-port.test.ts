// The test harness's port picking: no port twice from one process, and a start that lost its
// port to another process is run again on another one.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { freePort, onFreePorts } from '../../harness/free-port.js';

const listen = (port: number) => new Promise<Server>((resolve, reject) => {
  const srv = createServer();
  srv.once('error', reject);
  srv.listen(port, '127.0.0.1', () => resolve(srv));
});

t.test('freePort never hands out the same port twice', async (t) => {
  const ports = new Set<number>();
  for (let i = 0; i < 300; i++) ports.add(await freePort());
  t.equal(ports.size, 300);
});

t.test('onFreePorts starts again on other ports when the bind says the address is in use', async (t) => {
  const tried: number[] = [];
  const taken: Server[] = [];
  t.teardown(() => { for (const s of taken) s.close(); });
  const srv = await onFreePorts(1, async ([port]) => {
    tried.push(port!);
    // The first time, another "process" binds the port first.
    if (tried.length === 1) taken.push(await listen(port!));
    return listen(port!);
  });
  taken.push(srv);
  t.equal(tried.length, 2);
  t.not(tried[0], tried[1]);
  t.match(srv.address(), { port: tried[1] });
});

t.test('onFreePorts passes other errors on, and gives up after its attempts', async (t) => {
  let calls = 0;
  await t.rejects(onFreePorts(2, async () => { calls++; throw new Error('etcd exited with 2: bad flag'); }), /bad flag/);
  t.equal(calls, 1);
  calls = 0;
  await t.rejects(onFreePorts(1, async () => { calls++; throw new Error('listen EADDRINUSE: address already in use'); }, 3), /EADDRINUSE/);
  t.equal(calls, 3);
});
