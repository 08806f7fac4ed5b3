// The kubeconfig `tskube up` hands to kubectl, client-node and the Python client.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export const KUBECONFIG_CONTEXT = 'tskube';

/**
 * A kubeconfig for the local http port. `insecure-skip-tls-verify: true` is there because
 * @kubernetes/client-node refuses an http:// server without it; kubectl ignores it for http.
 * The token is for clients that insist on a user; the local port does not check it.
 */
export function kubeconfigYaml(server: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: KUBECONFIG_CONTEXT, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'tskube-admin', user: { token } }],
    contexts: [{ name: KUBECONFIG_CONTEXT, context: { cluster: KUBECONFIG_CONTEXT, user: 'tskube-admin', namespace: 'default' } }],
    'current-context': KUBECONFIG_CONTEXT,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, server: string, token: string): Promise<void> {
  // It holds a token: readable by its owner only, like kubeadm's admin.conf.
  await writeFile(path, kubeconfigYaml(server, token), { mode: 0o600 });
}
