// --token-auth-file authentication as an onRequest hook: a bearer token found in the file
// makes the request that user (plus system:authenticated, as upstream's authenticated-group
// adder does); a bearer token that is not there is answered 401 Unauthorized, as upstream.
// Requests without credentials keep the local port's user (requestUser's default).
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { StatusError } from '../../api/errors.js';
import { parseTokenFile } from '../../api/token-file.js';
import { setRequestUser, type UserInfo } from './user.js';

const AUTHENTICATED_GROUP = 'system:authenticated';

/** bearertoken.Authenticator's header parsing: `Bearer <token>`, the scheme case-insensitive. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const parts = (authorization ?? '').trim().split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

/** The user a token names, or undefined when the token is unknown. */
export function authenticateToken(tokens: ReadonlyMap<string, UserInfo>, token: string): UserInfo | undefined {
  const user = tokens.get(token);
  if (!user) return undefined;
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

export function loadTokenFile(path: string, log?: Logger): Map<string, UserInfo> {
  return parseTokenFile(readFileSync(path, 'utf8'), path, (msg) => log?.warn(msg));
}

/** Adds the hook to the app (root context: every route). Call before any hook that reads the user. */
export function addTokenAuthentication(app: FastifyInstance, tokens: ReadonlyMap<string, UserInfo>): void {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return;
    const user = authenticateToken(tokens, token);
    if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    setRequestUser(req, user);
  });
}
