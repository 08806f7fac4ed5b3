// v1 componentstatuses (`kubectl get cs`): read-only and never stored. Every read probes the
// control plane's health endpoints, as upstream's ComponentStatus REST does
// (pkg/registry/core/componentstatus): the scheduler's and controller-manager's /healthz and
// each etcd server's /health. Upstream answers a name it does not know with a 500; here it is
// a 404, since no input may give a 500.
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourcePath } from '../request-path.js';
import type { ListQuery } from '../store.js';

/** One component to probe: an HTTP GET of url, healthy on 2xx/3xx and when check accepts the body. */
export interface ComponentProbe {
  name: string;
  url: string;
  /** What makes a 2xx body unhealthy, as an error message (etcd: {"health":"false"}). */
  check?(body: string): string | undefined;
}

/** Upstream's probe timeout for component statuses. */
const PROBE_TIMEOUT_MS = 20_000;

/** The probes upstream's apiserver makes: fixed local ports for the scheduler and controller-manager. */
export function componentProbes(etcdServers: string[], urls: { scheduler?: string; controllerManager?: string } = {}): ComponentProbe[] {
  return [
    { name: 'scheduler', url: urls.scheduler ?? 'http://127.0.0.1:10259/healthz' },
    { name: 'controller-manager', url: urls.controllerManager ?? 'http://127.0.0.1:10257/healthz' },
    ...etcdServers.map((server, i) => ({ name: `etcd-${i}`, url: `${server.replace(/\/$/, '')}/health`, check: etcdHealthError })),
  ];
}

/** etcd's /health body: {"health":"true"} when healthy. */
function etcdHealthError(body: string): string | undefined {
  try {
    if ((JSON.parse(body) as { health?: unknown }).health === 'true') return undefined;
  } catch {
    return `Error unmarshaling health check response: ${body}`;
  }
  return 'Unhealthy health check';
}

export function isComponentStatuses(path: ResourcePath): boolean {
  return path.group === '' && path.resource.plural === 'componentstatuses';
}

/** The warning every componentstatuses answer carries, as upstream's. */
export const COMPONENT_STATUS_DEPRECATION = 'v1 ComponentStatus is deprecated in v1.19+';

export async function getComponentStatus(name: string, probes: readonly ComponentProbe[]): Promise<KubeObject> {
  const probe = probes.find((p) => p.name === name);
  if (!probe) throw errors.notFound({ group: '', resource: 'componentstatuses' }, name);
  return componentStatus(probe);
}

/** Every component, probed at once. Nothing carries labels: a selector that needs one matches nothing, as upstream's predicate. */
export async function listComponentStatuses(query: Pick<ListQuery, 'labelSelector' | 'fieldSelector'>, probes: readonly ComponentProbe[]): Promise<KubeObject[]> {
  const all = await Promise.all(probes.map(componentStatus));
  return all.filter((cs) => (!query.labelSelector || query.labelSelector.matches({}))
    && (!query.fieldSelector || query.fieldSelector.matches({ 'metadata.name': cs.metadata!.name! })));
}

async function componentStatus(probe: ComponentProbe): Promise<KubeObject> {
  const condition = { type: 'Healthy', ...(await runProbe(probe)) };
  return { kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name: probe.name }, conditions: [condition] };
}

/** Upstream's HTTP probe: the message is the body, or what went wrong; error is set when the body was refused. */
async function runProbe(probe: ComponentProbe): Promise<{ status: 'True' | 'False' | 'Unknown'; message: string; error?: string }> {
  let res: Response;
  let body: string;
  try {
    res = await fetch(probe.url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
    body = await res.text();
  } catch (e) {
    return { status: 'False', message: `Get "${probe.url}": ${describeFetchError(e, probe.url)}` };
  }
  if (res.status < 200 || res.status >= 400) return { status: 'False', message: `HTTP probe failed with statuscode: ${res.status}` };
  const refused = probe.check?.(body);
  return refused ? { status: 'False', message: body, error: refused } : { status: 'True', message: body };
}

function describeFetchError(e: unknown, url: string): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return `dial tcp ${new URL(url).host}: connect: connection refused`;
  if ((e as Error).name === 'TimeoutError') return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  return cause?.message ?? (e as Error).message;
}
