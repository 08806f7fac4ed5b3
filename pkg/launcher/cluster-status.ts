// `tskube status`: what runs in a state dir, read from its pid file and cluster.json and
// confirmed by probing each component, so a stale file never reports a dead cluster as running.
import { existsSync } from 'node:fs';
import { httpReady, listNodes } from './readiness.js';
import { isProcessRunning, type StateDir } from './state-dir.js';

export interface ComponentStatus { name: string; pid?: number; running: boolean; ready: boolean; port?: number; restarts: number }
export interface ClusterStatus {
  stateDir: string;
  launcherPid?: number;
  running: boolean;
  server?: string;
  kubeconfig?: string;
  components: ComponentStatus[];
  /** undefined when the apiserver does not answer. */
  nodes?: { name: string; ready: boolean }[];
}

function healthUrl(name: string, port: number): string {
  if (name === 'etcd') return `http://127.0.0.1:${port}/health`;
  if (name === 'kube-apiserver') return `http://127.0.0.1:${port}/readyz`;
  return `http://127.0.0.1:${port}/healthz`;
}

export async function clusterStatus(stateDir: StateDir): Promise<ClusterStatus> {
  const launcherPid = stateDir.runningLauncherPid();
  const state = stateDir.readState();
  const out: ClusterStatus = { stateDir: stateDir.root, running: launcherPid !== undefined, components: [] };
  if (launcherPid !== undefined) out.launcherPid = launcherPid;
  if (!state) return out;
  if (existsSync(stateDir.kubeconfigPath)) out.kubeconfig = stateDir.kubeconfigPath;
  out.server = `http://127.0.0.1:${state.port}`;
  out.components = await Promise.all(Object.entries(state.components).map(async ([name, rec]) => {
    const running = rec.pid !== undefined && isProcessRunning(rec.pid, name === 'etcd' ? 'etcd' : 'main.js');
    const ready = running && rec.port !== undefined && (await httpReady(healthUrl(name, rec.port)));
    return {
      name, running, ready, restarts: rec.restarts,
      ...(running && rec.pid !== undefined ? { pid: rec.pid } : {}),
      ...(rec.port !== undefined ? { port: rec.port } : {}),
    };
  }));
  const nodes = out.components.some((c) => c.name === 'kube-apiserver' && c.ready) ? await listNodes(out.server) : undefined;
  if (nodes) out.nodes = nodes;
  return out;
}

export function formatStatus(s: ClusterStatus): string[] {
  const lines = [s.running ? `tskube is running (launcher pid ${s.launcherPid ?? '?'}), state dir ${s.stateDir}` : `tskube is not running in ${s.stateDir}`];
  if (s.components.length > 0) {
    const width = Math.max(...s.components.map((c) => c.name.length));
    for (const c of s.components) {
      const what = !c.running ? 'stopped' : c.ready ? 'ready' : 'not ready';
      const restarts = c.restarts > 0 ? `  restarts ${c.restarts}` : '';
      lines.push(`  ${c.name.padEnd(width)}  ${(c.pid !== undefined ? `pid ${c.pid}` : '-').padEnd(11)} ${what.padEnd(9)} ${c.port !== undefined ? `port ${c.port}` : ''}${restarts}`);
    }
  }
  if (!s.running && s.components.some((c) => c.running)) {
    lines.push(`! components still run without their launcher (it was killed): \`tskube down --state-dir ${s.stateDir}\` stops them, \`tskube up\` replaces them`);
  }
  if (s.nodes) {
    lines.push(s.nodes.length === 0 ? 'nodes: none registered' : 'nodes:');
    const width = Math.max(...s.nodes.map((n) => n.name.length));
    for (const n of s.nodes) lines.push(`  ${n.name.padEnd(width)}  ${n.ready ? 'Ready' : 'NotReady'}`);
  }
  if (s.server) lines.push(`server: ${s.server}`);
  if (s.kubeconfig) lines.push(`kubeconfig: ${s.kubeconfig}`);
  return lines;
}
