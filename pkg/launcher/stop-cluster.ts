// `tskube down`: stops the launcher running a state dir (it stops its components in order),
// cleans up after one that died without doing so, and with purge removes the cluster's pod
// containers and the state dir.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { killOrphans } from './launcher.js';
import { isAlive, type StateDir } from './state-dir.js';
import { LABEL_CLUSTER, LABEL_NODE } from '../api/container-labels.js';

const run = promisify(execFile);
// Kubelets may take their 15 s stop timeout, the rest up to 10 s each.
const LAUNCHER_STOP_TIMEOUT_MS = 90_000;

export interface StopResult { stoppedLauncher?: number; orphans: number[]; removedContainers: number; purged: boolean }

export async function stopCluster(stateDir: StateDir, opts: { purge: boolean; print: (line: string) => void }): Promise<StopResult> {
  const result: StopResult = { orphans: [], removedContainers: 0, purged: false };
  const pid = stateDir.runningLauncherPid();
  if (pid !== undefined) {
    opts.print(`stopping the launcher (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + LAUNCHER_STOP_TIMEOUT_MS;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`the launcher (pid ${pid}) did not stop within ${LAUNCHER_STOP_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    result.stoppedLauncher = pid;
  }
  // Whatever a SIGKILLed launcher left behind.
  const state = stateDir.readState();
  result.orphans = await killOrphans(state);
  if (result.orphans.length > 0) opts.print(`stopped ${result.orphans.length} component(s) left running (pids ${result.orphans.join(', ')})`);
  await rm(stateDir.pidFile, { force: true });

  if (opts.purge) {
    if (state?.runtime === 'docker') result.removedContainers = await removePodContainers(state.nodes, state.clusterId, opts.print);
    await rm(stateDir.root, { recursive: true, force: true });
    result.purged = true;
    opts.print(`removed ${stateDir.root}`);
  }
  return result;
}

/**
 * The containers the kubelets of these nodes created, sandboxes included: labelled with the
 * node and, when the cluster's id is known, with the cluster (Docker ANDs the two filters).
 */
async function removePodContainers(nodes: string[], clusterId: string | undefined, print: (line: string) => void): Promise<number> {
  const ids = new Set<string>();
  const ofCluster = clusterId ? ['--filter', `label=${LABEL_CLUSTER}=${clusterId}`] : [];
  for (const node of nodes) {
    try {
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=${LABEL_NODE}=${node}`, ...ofCluster]);
      for (const id of stdout.split('\n').map((s) => s.trim()).filter(Boolean)) ids.add(id);
    } catch (e) {
      print(`! could not list the containers of node ${node}: ${(e as Error).message.split('\n')[0] ?? ''}`);
      return 0;
    }
  }
  if (ids.size === 0) return 0;
  await run('docker', ['rm', '-f', '-v', ...ids]);
  print(`removed ${ids.size} pod container(s)`);
  return ids.size;
}
