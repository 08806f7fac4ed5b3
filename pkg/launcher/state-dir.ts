// The launcher's state directory: everything one cluster keeps between `tskube up` runs
// (etcd data, kubelet root dirs, logs, kubeconfig, the service account signing key) plus what
// `down` and `status` need to find a running launcher (its pid file and cluster.json with the
// ports and child pids).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const DEFAULT_STATE_DIR = '.tskube';

export interface ComponentRecord {
  pid?: number;
  /** The port its health endpoint listens on. */
  port?: number;
  startedAt?: string;
  restarts: number;
}

/** cluster.json: the cluster's fixed settings (reused on resume) and the live child processes. */
export interface ClusterState {
  port: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  nodes: string[];
  runtime: 'docker' | 'fake';
  /** The bearer token written to the kubeconfig; kept so a resumed cluster keeps its kubeconfig. */
  token: string;
  /** The components' bearer tokens by user name (kept, like token, across restarts). */
  componentTokens?: Record<string, string>;
  /**
   * The kube-system namespace's uid, which the kubelets label their containers with: purge
   * removes only this cluster's containers when another cluster uses the same node names.
   */
  clusterId?: string;
  launcherPid?: number;
  components: Record<string, ComponentRecord>;
}

export class StateDir {
  readonly root: string;

  constructor(dir: string) { this.root = resolve(dir); }

  /** --state-dir, else $TSKUBE_STATE_DIR, else .tskube/ in the working directory. */
  static fromFlag(flag: string, env: NodeJS.ProcessEnv = process.env): StateDir {
    return new StateDir(flag || env['TSKUBE_STATE_DIR'] || DEFAULT_STATE_DIR);
  }

  get etcdDataDir(): string { return join(this.root, 'etcd'); }
  get logsDir(): string { return join(this.root, 'logs'); }
  get kubeconfigPath(): string { return join(this.root, 'kubeconfig'); }
  /** The apiserver's --token-auth-file: every token the kubeconfigs carry. */
  get tokenAuthFilePath(): string { return join(this.root, 'tokens.csv'); }
  /** The kubeconfig a component (kube-scheduler, kube-controller-manager, kubelet-<node>) runs with. */
  componentKubeconfigPath(component: string): string { return join(this.root, 'kubeconfigs', `${component}.conf`); }
  /** Signs service account tokens; kept so tokens from before a restart still verify. */
  get serviceAccountKeyPath(): string { return join(this.root, 'service-account.key'); }
  get pidFile(): string { return join(this.root, 'tskube.pid'); }
  get stateFile(): string { return join(this.root, 'cluster.json'); }
  logPath(component: string): string { return join(this.logsDir, `${component}.log`); }
  kubeletRootDir(node: string): string { return join(this.root, 'kubelet', node); }

  async create(): Promise<void> {
    await mkdir(this.logsDir, { recursive: true });
    await mkdir(join(this.root, 'kubeconfigs'), { recursive: true, mode: 0o700 });
    await mkdir(this.etcdDataDir, { recursive: true, mode: 0o700 });
    if (!existsSync(this.serviceAccountKeyPath)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await writeFile(this.serviceAccountKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
  }

  readState(): ClusterState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    try {
      return JSON.parse(readFileSync(this.stateFile, 'utf8')) as ClusterState;
    } catch {
      return undefined;
    }
  }

  /** Atomic (write + rename), so `status` never reads half a file. */
  async writeState(state: ClusterState): Promise<void> {
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(tmp, this.stateFile);
  }

  /** The pid of the launcher running this state dir, if it is still alive. */
  runningLauncherPid(): number | undefined {
    if (!existsSync(this.pidFile)) return undefined;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isProcessRunning(pid, 'tskube') ? pid : undefined;
  }
}

/**
 * True when `pid` is alive and (where /proc can tell) its command line contains `marker`, so a
 * stale pid file whose pid the kernel has since given to another process is not mistaken for ours.
 */
export function isProcessRunning(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline === '') return false; // a zombie: exited, not yet reaped
    return cmdline.includes(marker);
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
