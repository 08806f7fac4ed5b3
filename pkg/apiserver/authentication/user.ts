// Who a request is from (upstream's user.Info). Authentication sets it once per request;
// everything after it (priority and fairness, later authorization and audit) reads it.
import type { FastifyRequest } from 'fastify';
import type { UserInfo } from '../../api/user-info.js';

export type { UserInfo };


/**
 * The user of a request that carries no credentials on the local port. The local port trusts
 * whoever can reach it (it is bound to loopback), but it is not system:masters: that group is
 * exempt from priority and fairness, and a user flooding the local port must not starve the
 * components (kubeadm's admin.conf user is likewise not in system:masters since 1.29).
 */
export const LOCAL_USER: UserInfo = { name: 'system:unsecured', groups: ['system:authenticated'] };

const users = new WeakMap<FastifyRequest, UserInfo>();

export function setRequestUser(req: FastifyRequest, user: UserInfo): void {
  users.set(req, user);
}

export function requestUser(req: FastifyRequest): UserInfo {
  return users.get(req) ?? LOCAL_USER;
}
