// A child process that campaigns for a Lease and prints "leading <identity>" when it leads,
// so a test can SIGKILL a real leader. argv: server namespace name identity
import { RestClient } from '../../../pkg/client/rest-client.js';
import { LeaderElector } from '../../../pkg/client/leader-election.js';

const [server = '', namespace = '', name = '', identity = ''] = process.argv.slice(2);
const client = new RestClient({ server });
const elector = new LeaderElector({ client, namespace, name, identity, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
await elector.run({
  signal: ac.signal,
  onStartedLeading: () => { process.stdout.write(`leading ${identity}\n`); },
  onStoppedLeading: () => { process.stdout.write(`stopped ${identity}\n`); },
});
await client.close();
