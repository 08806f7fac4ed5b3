// Subresources: status (every kind with one), scale (autoscaling/v1 Scale), pods/binding,
// pods/eviction, pods/log (proxied to the node's kubelet), namespaces/finalize and
// serviceaccounts/token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { errors, field } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { nowRfc3339 } from '../../api/meta.js';
import { labelSelectorAsSelector } from '../../api/labels.js';
import type { ResourcePath } from '../request-path.js';
import { decodeObjectBody, expectTypeMeta } from '../request-body.js';
import type { Store } from '../store.js';
import { bool, dryRun, fieldValidation, int, str, type Query } from './query.js';
import { negotiate } from './response.js';
import { deleteOptions, patchObject, sendJson, sendObject, type HandlerContext, type PatchView } from './resource-handler.js';

export async function handleSubresource(req: FastifyRequest, reply: FastifyReply, path: ResourcePath, store: Store, ctx: HandlerContext): Promise<unknown> {
  const q = req.query as Query;
  const ns = path.namespace ?? '';
  const name = path.name!;
  const sub = path.subresource!;
  const info = path.resource.subresources.find((s) => s.name === sub)!;
  const verb = ({ GET: 'get', PUT: 'update', PATCH: 'patch', POST: 'create' } as Record<string, string>)[req.method];
  if (!verb || !info.verbs.includes(verb)) throw errors.methodNotAllowed(req.method, `${path.resource.plural}/${sub}`);
  const write = { dryRun: dryRun(q), fieldValidation: fieldValidation(q) };

  switch (sub) {
    case 'status':
    case 'ephemeralcontainers': {
      if (verb === 'get') return sendObject(reply, 200, await store.get(ns, name), negotiate(req.headers.accept));
      const subresource = sub === 'status' ? 'status' : undefined;
      if (verb === 'update') {
        const body = await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
        return sendJson(reply, 200, (await store.update(ns, name, body, { ...write, subresource })).object);
      }
      return sendJson(reply, 200, (await patchObject(req, ctx.stores, store, ns, name, q, subresource)).object);
    }
    case 'scale': return handleScale(req, reply, store, ns, name, verb, q, ctx);
    case 'binding': return bindPod(reply, store, ns, name, await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined), write.dryRun);
    case 'eviction': return evictPod(req, reply, store, ns, name, ctx);
    case 'finalize': return finalizeNamespace(reply, store, name, await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined), write.dryRun);
    case 'log': return proxyLogs(req, reply, store, ns, name, q, ctx);
    case 'token': return requestToken(req, reply, store, ns, name, ctx);
    default:
      throw errors.methodNotAllowed(req.method, `${path.resource.plural}/${sub}`);
  }
}

// ---- scale ----

function scaleOf(obj: KubeObject): KubeObject {
  const spec = (obj['spec'] ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj['status'] ?? {}) as { replicas?: number };
  const selector = spec.selector ? labelSelectorAsSelector(spec.selector as never).toString() : '';
  const meta = obj.metadata ?? {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name ?? '', namespace: meta.namespace ?? '', uid: meta.uid ?? '',
      resourceVersion: meta.resourceVersion ?? '', creationTimestamp: meta.creationTimestamp ?? '',
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

function withReplicas(obj: KubeObject, scale: KubeObject): KubeObject {
  const replicas = (scale['spec'] as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('autoscaling', 'Scale', obj.metadata?.name ?? '', [{ field: 'spec.replicas', type: 'FieldValueInvalid', message: `${String(replicas)}: must be greater than or equal to 0` }]);
  }
  const out = structuredClone(obj);
  out['spec'] = { ...(out['spec'] as object), replicas };
  // A Scale that names a resourceVersion is a precondition on the scaled object.
  const rv = scale.metadata?.resourceVersion;
  if (rv) out.metadata = { ...out.metadata, resourceVersion: rv };
  return out;
}

async function handleScale(req: FastifyRequest, reply: FastifyReply, store: Store, ns: string, name: string, verb: string, q: Query, ctx: HandlerContext) {
  if (verb === 'get') return sendJson(reply, 200, scaleOf(await store.get(ns, name)));
  if (verb === 'update') {
    const body = await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
    if (body.metadata?.name && body.metadata.name !== name) throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    const result = await store.patch(ns, name, (cur) => withReplicas(cur, body), { dryRun: dryRun(q) });
    return sendJson(reply, 200, scaleOf(result.object));
  }
  const view: PatchView = {
    group: 'autoscaling', version: 'v1', kind: 'Scale',
    from: scaleOf,
    to: (cur, patched) => withReplicas(cur, { ...patched, metadata: { ...patched.metadata, resourceVersion: patched.metadata?.resourceVersion === cur.metadata?.resourceVersion ? '' : patched.metadata?.resourceVersion ?? '' } }),
  };
  return sendJson(reply, 200, scaleOf((await patchObject(req, ctx.stores, store, ns, name, q, undefined, view)).object));
}

// ---- pods/binding ----

async function bindPod(reply: FastifyReply, store: Store, ns: string, name: string, binding: KubeObject, isDryRun: boolean) {
  const target = binding['target'] as { kind?: string; name?: string } | undefined;
  if (!target?.name) {
    throw errors.invalid('', 'Binding', name, [{ field: 'target.name', type: 'FieldValueRequired', message: '' }]);
  }
  if (target.kind && target.kind !== 'Node') {
    throw errors.invalid('', 'Binding', name, [{ field: 'target.kind', type: 'FieldValueNotSupported', message: `"${target.kind}": supported values: "Node", ""` }]);
  }
  await store.patch(ns, name, (pod) => {
    const spec = pod['spec'] as { nodeName?: string };
    if (pod.metadata?.deletionTimestamp) throw errors.conflict(store.gr, name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw errors.conflict(store.gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = target.name!;
    const annotations = binding.metadata?.annotations;
    if (annotations) pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, ...annotations } };
    const status = (pod['status'] ??= {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string | null; lastProbeTime?: string | null }[] };
    const conditions = (status.conditions ??= []);
    const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRfc3339() };
    const i = conditions.findIndex((c) => c.type === 'PodScheduled');
    if (i >= 0) conditions[i] = cond; else conditions.push(cond);
    return pod;
  }, { dryRun: isDryRun, subresource: undefined, bypassStrategy: true });
  return sendJson(reply, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

// ---- pods/eviction ----

async function evictPod(req: FastifyRequest, reply: FastifyReply, store: Store, ns: string, name: string, ctx: HandlerContext) {
  const body = await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
  const pod = await store.get(ns, name);
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  // Finished pods and pods already terminating are not protected by disruption budgets.
  if (phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp) {
    await checkDisruptionBudgets(pod, ctx);
  }
  const deleteBody = (body['deleteOptions'] ?? {}) as Record<string, unknown>;
  const fakeReq = { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(deleteBody)) } as unknown as FastifyRequest;
  await store.delete(ns, name, await deleteOptions(fakeReq, {}), false);
  return sendJson(reply, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

async function checkDisruptionBudgets(pod: KubeObject, ctx: HandlerContext): Promise<void> {
  const pdbs = ctx.stores.preferred('policy', 'poddisruptionbudgets');
  if (!pdbs) return;
  const { items } = await pdbs.list(pod.metadata?.namespace, {});
  for (const pdb of items) {
    const spec = (pdb['spec'] ?? {}) as { selector?: never };
    if (!labelSelectorAsSelector(spec.selector).matches(pod.metadata?.labels)) continue;
    const status = (pdb['status'] ?? {}) as { disruptionsAllowed?: number; observedGeneration?: number };
    if ((status.disruptionsAllowed ?? 0) <= 0) {
      throw errors.tooManyRequests(`Cannot evict pod as it would violate the pod's disruption budget.`, 10);
    }
  }
}

// ---- namespaces/finalize ----

async function finalizeNamespace(reply: FastifyReply, store: Store, name: string, body: KubeObject, isDryRun: boolean) {
  const finalizers = ((body['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []);
  const result = await store.patch('', name, (ns) => {
    ns['spec'] = { ...(ns['spec'] as object), finalizers };
    if (!finalizers.length) delete (ns['spec'] as { finalizers?: string[] }).finalizers;
    return ns;
  }, { dryRun: isDryRun, bypassStrategy: true });
  // With every finalizer gone the store has removed the namespace in the same write.
  return sendJson(reply, 200, result.object);
}

// ---- pods/log ----

async function proxyLogs(req: FastifyRequest, reply: FastifyReply, store: Store, ns: string, name: string, q: Query, ctx: HandlerContext) {
  const pod = await store.get(ns, name);
  const spec = pod['spec'] as { nodeName?: string; containers?: { name: string }[] };
  let container = str(q, 'container');
  if (!container) {
    const names = (spec.containers ?? []).map((c) => c.name);
    if (names.length !== 1) {
      throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    }
    container = names[0]!;
  } else if (![...(spec.containers ?? []), ...((pod['spec'] as { initContainers?: { name: string }[] }).initContainers ?? [])].some((c) => c.name === container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (!spec.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const node = await ctx.stores.preferred('', 'nodes')!.get('', spec.nodeName);
  const status = (node['status'] ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const address = status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? status.addresses?.[0]?.address;
  if (!port || !address) throw errors.badRequest(`node ${spec.nodeName} has no kubelet endpoint`);
  const params = new URLSearchParams();
  for (const key of ['follow', 'previous', 'timestamps']) if (bool(q, key)) params.set(key, 'true');
  for (const key of ['tailLines', 'sinceSeconds', 'limitBytes']) { const v = int(q, key); if (v !== undefined) params.set(key, String(v)); }
  const sinceTime = str(q, 'sinceTime'); if (sinceTime) params.set('sinceTime', sinceTime);
  const url = `http://${address}:${port}/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${params}`;
  const ac = new AbortController();
  reply.raw.on('close', () => ac.abort());
  let upstream;
  try {
    upstream = await undiciRequest(url, { signal: ac.signal });
  } catch (e) {
    ctx.log.warn({ pod: `${ns}/${name}`, err: String(e) }, 'kubelet log request failed');
    throw errors.serviceUnavailable(`unable to reach the kubelet on node ${spec.nodeName}`);
  }
  if (upstream.statusCode !== 200) {
    const text = await upstream.body.text();
    try { const status = JSON.parse(text) as { code?: number; message?: string }; if (status.code) throw errors.badRequest(status.message ?? text); } catch (e) { if ((e as { code?: number }).code === 400) throw e; }
    throw errors.badRequest(text || `kubelet answered ${upstream.statusCode}`);
  }
  reply.hijack();
  reply.raw.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  reply.raw.flushHeaders();
  try {
    for await (const chunk of upstream.body) reply.raw.write(chunk);
  } catch { /* client or kubelet went away */ }
  reply.raw.end();
  return reply;
}

// ---- serviceaccounts/token ----

const DEFAULT_TOKEN_SECONDS = 3600;
const MIN_TOKEN_SECONDS = 600;
const BINDABLE: Readonly<Record<string, string>> = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

interface TokenRequestSpec {
  audiences?: string[]; expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

/** TokenRequest: a signed token for the service account, optionally bound to a pod, secret or node. */
async function requestToken(req: FastifyRequest, reply: FastifyReply, store: Store, ns: string, name: string, ctx: HandlerContext) {
  const body = await decodeObjectBody(req.headers['content-type'], req.body as Buffer | undefined);
  expectTypeMeta(body, 'authentication.k8s.io/v1', 'TokenRequest');
  const { status: _ignored, ...asked } = body;
  const spec: TokenRequestSpec = { ...(asked['spec'] as TokenRequestSpec | undefined) };
  spec.expirationSeconds ??= DEFAULT_TOKEN_SECONDS;
  if (!spec.audiences?.length) spec.audiences = [ctx.tokens.issuer];
  asked['spec'] = spec;
  const errs = ctx.stores.schemas.validate('authentication.k8s.io', 'v1', 'TokenRequest', asked);
  if (!errs.length && spec.expirationSeconds < MIN_TOKEN_SECONDS) {
    errs.push(field.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 10 minutes'));
  }
  if (!errs.length && spec.expirationSeconds > 2 ** 32) {
    errs.push(field.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  }
  if (errs.length) throw errors.invalid('authentication.k8s.io', 'TokenRequest', name, errs);

  const account = await store.get(ns, name);
  let bound: { kind: 'Pod' | 'Secret' | 'Node'; name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const plural = (ref.apiVersion ?? 'v1') === 'v1' ? BINDABLE[ref.kind ?? ''] : undefined;
    if (!plural) throw errors.badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
    const target = await ctx.stores.preferred('', plural)!.get(plural === 'nodes' ? '' : ns, ref.name ?? '');
    if (ref.kind === 'Pod' && (target['spec'] as { serviceAccountName?: string } | undefined)?.serviceAccountName !== name) {
      throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    }
    const uid = target.metadata?.uid ?? '';
    if (ref.uid && ref.uid !== uid) {
      throw errors.conflict({ group: '', resource: ref.kind! }, ref.name ?? '',
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    bound = { kind: ref.kind as 'Pod' | 'Secret' | 'Node', name: ref.name ?? '', uid };
  }
  const { token, expires } = ctx.tokens.issue({
    namespace: ns, serviceAccount: { name, uid: account.metadata?.uid ?? '' },
    audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, ...(bound ? { bound } : {}),
  });
  return sendJson(reply, 201, {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', ...asked,
    metadata: { ...asked.metadata, name, namespace: ns, creationTimestamp: null },
    spec, status: { token, expirationTimestamp: nowRfc3339(new Date(expires * 1000)) },
  });
}
