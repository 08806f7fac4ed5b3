// Kinds that are created to ask a question and never stored: access reviews
// (authorization.k8s.io, what `kubectl auth can-i` sends) and SelfSubjectReview
// (authentication.k8s.io, `kubectl auth whoami`). Nothing is authorized yet (upstream's
// AlwaysAllow authorizer), so every access review answers allowed; SelfSubjectReview answers
// the request's authenticated user.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, field, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourcePath } from '../request-path.js';
import { decodeObjectBody, expectTypeMeta } from '../request-body.js';
import type { SchemaRegistry } from '../validation.js';
import { sendJson } from './resource-handler.js';
import { requestUser } from '../authentication/user.js';

type Answer = (review: KubeObject, namespace: string, req: FastifyRequest) => Record<string, unknown>;
type Check = (review: KubeObject, namespace: string) => FieldError[];

interface Review { check: Check; answer: Answer }

const ALLOWED: Answer = () => ({ allowed: true });

const REVIEWS: Readonly<Record<string, Review>> = {
  'authorization.k8s.io/selfsubjectaccessreviews': { check: (r) => [...accessSpecErrors(r), ...emptyMetadata(r)], answer: ALLOWED },
  'authorization.k8s.io/subjectaccessreviews': {
    check: (r) => [...accessSpecErrors(r), ...subjectErrors(r), ...emptyMetadata(r)], answer: ALLOWED,
  },
  'authorization.k8s.io/localsubjectaccessreviews': { check: localAccessErrors, answer: ALLOWED },
  'authorization.k8s.io/selfsubjectrulesreviews': {
    check: () => [],
    answer: () => ({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    }),
  },
  'authentication.k8s.io/selfsubjectreviews': {
    check: () => [],
    answer: (_r, _ns, req) => {
      const user = requestUser(req);
      return { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: [...user.groups] } };
    },
  },
};

export function isReview(path: ResourcePath): boolean {
  return `${path.group}/${path.resource.plural}` in REVIEWS;
}

export async function handleReview(req: FastifyRequest, reply: FastifyReply, path: ResourcePath, schemas: SchemaRegistry): Promise<unknown> {
  const review = REVIEWS[`${path.group}/${path.resource.plural}`]!;
  if (req.method !== 'POST' || path.name !== undefined || path.subresource) throw errors.methodNotAllowed(req.method, path.resource.plural);
  const { kind } = path.resource;
  const apiVersion = `${path.group}/${path.version}`;
  const body = await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
  expectTypeMeta(body, apiVersion, kind);
  const namespace = path.namespace ?? '';
  if (path.resource.namespaced && body.metadata?.namespace && body.metadata.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (path.resource.kind === 'SelfSubjectRulesReview' && !(body['spec'] as { namespace?: string } | undefined)?.namespace) {
    throw errors.badRequest('no namespace on request');
  }
  // Whatever status the client sent (kubectl sends an empty one) is the server's to fill.
  const { status: _ignored, ...asked } = body;
  const errs = [...schemas.validate(path.group, path.version, kind, asked), ...review.check(asked, namespace)];
  if (errs.length) throw errors.invalid(path.group, kind, asked.metadata?.name ?? '', errs);
  return sendJson(reply, 201, {
    kind, apiVersion, ...asked,
    metadata: { ...asked.metadata, ...(path.resource.namespaced ? { namespace } : {}), creationTimestamp: null },
    status: review.answer(asked, namespace, req),
  });
}

interface AccessSpec { resourceAttributes?: { namespace?: string }; nonResourceAttributes?: unknown; user?: string; groups?: string[] }

const specOf = (r: KubeObject): AccessSpec => (r['spec'] ?? {}) as AccessSpec;

/** ValidateSelfSubjectAccessReviewSpec: one of resource or non-resource attributes. */
function accessSpecErrors(r: KubeObject): FieldError[] {
  const spec = specOf(r);
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    return [field.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes')];
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    return [field.invalid('spec.resourceAttributes', spec.nonResourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  }
  return [];
}

/** A review about someone else names them. */
function subjectErrors(r: KubeObject): FieldError[] {
  const spec = specOf(r);
  if (!spec.user && !spec.groups?.length) return [field.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified')];
  return [];
}

/** Upstream keeps these objects' metadata empty (managedFields aside). */
function emptyMetadata(r: KubeObject): FieldError[] {
  const { managedFields: _ignored, ...rest } = (r.metadata ?? {}) as Record<string, unknown>;
  const set = Object.entries(rest).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return set.length ? [field.invalid('metadata', Object.fromEntries(set), 'must be empty')] : [];
}

function localAccessErrors(r: KubeObject, namespace: string): FieldError[] {
  const spec = specOf(r);
  const errs = [...accessSpecErrors(r), ...subjectErrors(r)];
  if (spec.nonResourceAttributes) errs.push(field.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
  if (spec.resourceAttributes && spec.resourceAttributes.namespace !== namespace) {
    errs.push(field.invalid('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace ?? '', 'must match metadata.namespace'));
  }
  const { namespace: _ns, managedFields: _mf, ...rest } = (r.metadata ?? {}) as Record<string, unknown>;
  if (Object.values(rest).some((v) => v !== undefined && v !== null && v !== '')) errs.push(field.invalid('metadata', rest, 'must be empty except for namespace'));
  return errs;
}
