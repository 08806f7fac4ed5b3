// Reading the kubeconfig format kubectl reads (client-go tools/clientcmd), and the
// `--master`/`--kubeconfig` flag pair every component takes (BuildConfigFromFlags).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { RestClientConfig } from './rest-client.js';

interface Named<T> { name: string; [key: string]: unknown; cluster?: T; user?: T; context?: T }
interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
}
interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
}
interface KubeconfigContext { cluster?: string; user?: string; namespace?: string }
interface Kubeconfig {
  'current-context'?: string;
  clusters?: Named<KubeconfigCluster>[];
  users?: Named<KubeconfigUser>[];
  contexts?: Named<KubeconfigContext>[];
}

/** The client config of one context (the current one by default) of a kubeconfig file. */
export async function loadKubeconfig(path: string, context?: string): Promise<RestClientConfig> {
  const doc = (parse(await readFile(path, 'utf8')) ?? {}) as Kubeconfig;
  const dir = dirname(path);
  const contextName = context ?? doc['current-context'];
  if (!contextName) throw new Error(`${path}: no context chosen and no current-context set`);
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) throw new Error(`${path}: context "${contextName}" does not exist`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`${path}: cluster "${ctx.cluster ?? ''}" has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};

  const read = async (file: string) => readFile(isAbsolute(file) ? file : join(dir, file), 'utf8');
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  const config: RestClientConfig = { server: cluster.server };
  if (cluster['insecure-skip-tls-verify']) config.insecureSkipTlsVerify = true;
  if (cluster['certificate-authority-data']) config.caData = b64(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) config.caData = await read(cluster['certificate-authority']);
  if (user.token) config.token = user.token;
  else if (user.tokenFile) config.token = (await read(user.tokenFile)).trim();
  if (user['client-certificate-data']) config.certData = b64(user['client-certificate-data']);
  else if (user['client-certificate']) config.certData = await read(user['client-certificate']);
  if (user['client-key-data']) config.keyData = b64(user['client-key-data']);
  else if (user['client-key']) config.keyData = await read(user['client-key']);
  if (ctx.namespace) config.namespace = ctx.namespace;
  return config;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * client-go's BuildConfigFromFlags: --kubeconfig wins (with --master overriding its server);
 * --master alone is enough; with neither, $KUBECONFIG, ~/.kube/config, then in-cluster config.
 */
export async function clientConfigFromFlags(flags: { master?: string | undefined; kubeconfig?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Promise<RestClientConfig> {
  if (flags.kubeconfig) {
    const config = await loadKubeconfig(flags.kubeconfig);
    return flags.master ? { ...config, server: flags.master } : config;
  }
  if (flags.master) return { server: flags.master };
  const fromEnv = env['KUBECONFIG']?.split(':').find((p) => p && existsSync(p));
  if (fromEnv) return loadKubeconfig(fromEnv);
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return loadKubeconfig(home);
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (host && port && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) {
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      token: (await readFile(join(SERVICE_ACCOUNT_DIR, 'token'), 'utf8')).trim(),
      caData: await readFile(join(SERVICE_ACCOUNT_DIR, 'ca.crt'), 'utf8'),
    };
  }
  throw new Error('no --master, --kubeconfig, $KUBECONFIG, ~/.kube/config or in-cluster configuration');
}
