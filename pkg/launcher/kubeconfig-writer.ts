// The kubeconfig `tskube up` hands to kubectl, client-node and the Python client.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { formatTokenRecord } from '../api/token-file.js';
import type { UserInfo } from '../api/user-info.js';

export const KUBECONFIG_CONTEXT = 'tskube';

/** The admin user of the kubeconfig `tskube up` writes (kubeadm's admin.conf user). */
export const ADMIN_USER: UserInfo = { name: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };

/**
 * A kubeconfig for the local http port. `insecure-skip-tls-verify: true` is there because
 * @kubernetes/client-node refuses an http:// server without it; kubectl ignores it for http.
 * The token is in the apiserver's --token-auth-file: requests carrying it are its user's.
 */
export function kubeconfigYaml(server: string, token: string, userName = 'tskube-admin'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: KUBECONFIG_CONTEXT, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: userName, user: { token } }],
    contexts: [{ name: KUBECONFIG_CONTEXT, context: { cluster: KUBECONFIG_CONTEXT, user: userName, namespace: 'default' } }],
    'current-context': KUBECONFIG_CONTEXT,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, server: string, token: string, userName?: string): Promise<void> {
  // It holds a token: readable by its owner only, like kubeadm's admin.conf.
  await writeFile(path, kubeconfigYaml(server, token, userName), { mode: 0o600 });
}

/** The --token-auth-file text for these tokens (token → user). */
export function tokenFileText(entries: readonly { token: string; user: UserInfo }[]): string {
  return entries.map((e) => `${formatTokenRecord(e.token, e.user)}\n`).join('');
}
