// Hollow nodes (kubemark): one process runs N kubelets named `<base>-<i>`, each over its own
// in-memory FakeRuntime. They register, heartbeat, admit and run pods exactly like a real
// kubelet, minus processes, probes, volumes and the HTTP server.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import { FakeRuntime } from './runtime/fake-runtime.js';

export type FakeNodesOptions = Omit<KubeletOptions, 'nodeName' | 'runtime' | 'serve' | 'probes' | 'volumes' | 'identity' | 'log'> & {
  count: number;
  baseName: string;
  log: Logger;
};

export function fakeNodeName(baseName: string, i: number): string {
  return `${baseName}-${i}`;
}

export function fakeKubelets(opts: FakeNodesOptions): Kubelet[] {
  const { count, baseName, log, ...rest } = opts;
  const out: Kubelet[] = [];
  for (let i = 0; i < count; i++) {
    const nodeName = fakeNodeName(baseName, i);
    out.push(new Kubelet({
      ...rest,
      nodeName,
      runtime: new FakeRuntime({ nodeName }),
      log: log.child({ node: nodeName }),
      serve: false, probes: false, volumes: false,
      // Distinct identities per hollow node, derived from its name.
      identity: hollowIdentity(nodeName),
      rootDir: `${rest.rootDir}/${nodeName}`,
    }));
  }
  return out;
}

/** Runs every hollow node until signal aborts. */
export async function runFakeNodes(opts: FakeNodesOptions, signal: AbortSignal): Promise<void> {
  await Promise.all(fakeKubelets(opts).map((k) => k.run(signal)));
}

function hollowIdentity(nodeName: string): { machineID: string; systemUUID: string; bootID: string } {
  const hex = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 32);
  const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return { machineID: hex(`machine:${nodeName}`), systemUUID: uuid(hex(`uuid:${nodeName}`)), bootID: uuid(hex(`boot:${nodeName}:${process.pid}`)) };
}
