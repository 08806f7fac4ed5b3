// secret (pkg/volume/secret): the secret's keys as files, on a tmpfs where we can mount one.
import { apiDataPlugin, namespaceOf } from './api-data-plugin.js';
import { secretPayload } from './secret-payload.js';

export const secretPlugin = apiDataPlugin({
  name: 'kubernetes.io/secret',
  canSupport: (volume) => volume.secret !== undefined,
  isMemoryBacked: true,
  async payload(pod, volume, host) {
    const src = volume.secret ?? {};
    const optional = src.optional ?? false;
    const secret = await host.getSecret(namespaceOf(pod), src.secretName ?? '');
    if (!secret && !optional) throw new Error(`secret ${JSON.stringify(src.secretName ?? '')} not found`);
    return secretPayload(src.items, secret ?? {}, src.defaultMode, optional);
  },
});
