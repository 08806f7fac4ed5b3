// Service account tokens (serviceaccounts/token, `kubectl create token`): JWTs signed with
// RS256 and carrying the claims upstream's apiserver puts in them. The key comes from
// --service-account-signing-key-file; without one, a key is made at the first request and
// lives as long as the process (its tokens verify against nothing after a restart). Nothing in
// tskube verifies these tokens yet: authentication comes with the secure port.
import { createHash, createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** kubeadm's issuer; upstream's --api-audiences defaults to it. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface TokenClaims {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** The object the token is bound to, when the request named one. */
  bound?: { kind: 'Pod' | 'Secret' | 'Node'; name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
}

export class TokenIssuer {
  readonly issuer: string;
  readonly #keyFile: string | undefined;
  #key: { privateKey: KeyObject; kid: string } | undefined;

  constructor(opts: { issuer?: string | undefined; signingKeyFile?: string | undefined } = {}) {
    this.issuer = opts.issuer || DEFAULT_ISSUER;
    this.#keyFile = opts.signingKeyFile || undefined;
    // A bad key file is a startup error, not a failure of the first token request.
    if (this.#keyFile) this.#signingKey();
  }

  /** The token, and when it expires (seconds since the epoch). */
  issue(c: TokenClaims, now = Date.now()): { token: string; expires: number } {
    const iat = Math.floor(now / 1000);
    const exp = iat + c.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: c.namespace, serviceaccount: c.serviceAccount };
    if (c.bound) k8s[c.bound.kind.toLowerCase()] = { name: c.bound.name, uid: c.bound.uid };
    const payload = {
      aud: c.audiences, exp, iat, iss: this.issuer, jti: randomUUID(), 'kubernetes.io': k8s, nbf: iat,
      sub: `system:serviceaccount:${c.namespace}:${c.serviceAccount.name}`,
    };
    const { privateKey, kid } = this.#signingKey();
    const signed = `${base64url(JSON.stringify({ alg: 'RS256', kid }))}.${base64url(JSON.stringify(payload))}`;
    const signature = createSign('RSA-SHA256').update(signed).sign(privateKey);
    return { token: `${signed}.${base64url(signature)}`, expires: exp };
  }

  /** The public key tokens verify against (PEM). */
  publicKeyPem(): string {
    return createPublicKey(this.#signingKey().privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  #signingKey(): { privateKey: KeyObject; kid: string } {
    if (this.#key) return this.#key;
    const privateKey = this.#keyFile
      ? createPrivateKey(readFileSync(this.#keyFile))
      : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${this.#keyFile}: the service account signing key must be an RSA key`);
    // Upstream's key id: the SHA-256 of the public key's DER, unpadded base64url.
    const der = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    this.#key = { privateKey, kid: base64url(createHash('sha256').update(der).digest()) };
    return this.#key;
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
