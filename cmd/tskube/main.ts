#!/usr/bin/env node
// tskube: starts, stops and inspects a whole local cluster (etcd, control plane, kubelets).
import { intFlag, parseFlags } from '../../pkg/component/flags.js';
import { up, type Runtime } from '../../pkg/launcher/launcher.js';
import { clusterStatus, formatStatus } from '../../pkg/launcher/cluster-status.js';
import { stopCluster } from '../../pkg/launcher/stop-cluster.js';
import { StateDir } from '../../pkg/launcher/state-dir.js';

const USAGE = `Usage: tskube <command> [flags]

Commands:
  up      start the cluster (or resume the one in --state-dir) and supervise it in the foreground
  down    stop the cluster running in --state-dir; --purge also removes its pod containers and the state dir
  status  show which components run, the nodes, and the kubeconfig

Run 'tskube <command> --help' for the flags of a command.
`;

const stateDirFlag = { type: 'string', default: '', description: 'Where the cluster keeps etcd data, logs, the kubeconfig and its pid file (default $TSKUBE_STATE_DIR or .tskube/).' } as const;
const FORCE_AFTER_MS = 2_000;
const print = (line: string): void => { process.stdout.write(`${line}\n`); };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const flags = parseFlags('tskube up', {
        nodes: { type: 'string', default: '', description: 'Number of nodes (kubelets): tskube-node, tskube-node-2, ... (default 1, or as the state dir recorded).' },
        port: { type: 'string', default: '', description: 'The apiserver port on 127.0.0.1 (default 8080, or as the state dir recorded).' },
        runtime: { type: 'string', default: '', description: 'The kubelets\' container runtime: docker or fake (default docker).' },
        'state-dir': stateDirFlag,
        'skip-system-check': { type: 'boolean', default: false, description: 'Do not run deploy/ensure-system.sh first.' },
      }, rest);
      if (flags.runtime !== '' && flags.runtime !== 'docker' && flags.runtime !== 'fake') {
        process.stderr.write(`invalid value "${flags.runtime}" for flag --runtime: docker or fake\n`);
        return 2;
      }
      const nodes = flags.nodes === '' ? undefined : intFlag('nodes', flags.nodes);
      const port = flags.port === '' ? undefined : intFlag('port', flags.port);
      if (nodes !== undefined && nodes < 1) { process.stderr.write('--nodes must be at least 1\n'); return 2; }
      if (port !== undefined && (port < 1 || port > 65535)) { process.stderr.write('--port must be 1-65535\n'); return 2; }
      const controller = new AbortController();
      let firstSignalAt = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (firstSignalAt === 0) { firstSignalAt = Date.now(); controller.abort(); return; }
        // npm start / npx forward the terminal's Ctrl-C that we also got directly: a repeat
        // within a moment is that echo. A later one means "now"; the components are detached.
        if (Date.now() - firstSignalAt < FORCE_AFTER_MS) return;
        print(`✗ ${sig} again: exiting without waiting; \`tskube down\` stops what is left`);
        process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return up({
        stateDir: StateDir.fromFlag(flags['state-dir']),
        ...(nodes !== undefined ? { nodes } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(flags.runtime !== '' ? { runtime: flags.runtime as Runtime } : {}),
        skipEnsureSystem: flags['skip-system-check'],
        print,
        signal: controller.signal,
      });
    }
    case 'down': {
      const flags = parseFlags('tskube down', {
        purge: { type: 'boolean', default: false, description: 'Also remove the cluster\'s pod containers and its state dir.' },
        'state-dir': stateDirFlag,
      }, rest);
      const stateDir = StateDir.fromFlag(flags['state-dir']);
      const r = await stopCluster(stateDir, { purge: flags.purge, print });
      if (r.stoppedLauncher === undefined && r.orphans.length === 0 && !r.purged) print(`tskube is not running in ${stateDir.root}`);
      return 0;
    }
    case 'status': {
      const flags = parseFlags('tskube status', {
        output: { type: 'string', default: '', description: 'json for machine-readable output.' },
        'state-dir': stateDirFlag,
      }, rest);
      const s = await clusterStatus(StateDir.fromFlag(flags['state-dir']));
      if (flags.output === 'json') print(JSON.stringify(s, null, 2));
      else for (const line of formatStatus(s)) print(line);
      // LSB status convention: 3 = not running.
      return s.running ? 0 : 3;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tskube: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`tskube: ${(e as Error).message}\n`);
  process.exit(1);
});
