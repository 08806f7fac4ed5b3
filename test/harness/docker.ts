// Docker for e2e tests: is the daemon there, skip or fail a test without it, and check that the
// offline images exist. Nothing is pulled: no registry is reachable, so the test runner builds
// the images first (deploy/ensure-system.sh images → deploy/images/build-images.sh).
import { Agent, request } from 'undici';

const apiVersion = 'v1.41'; // Docker 20.10, Debian bookworm's docker.io

/** The daemon's unix socket: DOCKER_HOST when it names one, else the default. */
export function dockerSocketPath(): string {
  const host = process.env['DOCKER_HOST'];
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

async function dockerGet(path: string, timeoutMs: number): Promise<{ statusCode: number; body: string }> {
  // A fresh agent per call, closed after: a lingering keep-alive socket would hold a test open.
  const dispatcher = new Agent({ connect: { socketPath: dockerSocketPath() } });
  try {
    const res = await request(`http://docker${path}`, {
      dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
    });
    return { statusCode: res.statusCode, body: await res.body.text() };
  } finally {
    await dispatcher.close();
  }
}

/** True when the Docker daemon answers GET /_ping. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const res = await dockerGet('/_ping', 2_000);
    return res.statusCode === 200 && res.body === 'OK';
  } catch {
    return false;
  }
}

export function isCI(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

interface Skippable { plan(n: number, comment?: string): void }

/**
 * Resolves true when Docker answers. Without Docker it marks the test skipped and resolves
 * false (the test must return at once), except under CI, where it throws: CI must never
 * pass by silently skipping the e2e tests.
 *
 *   if (!(await requireDocker(t))) return;
 */
export async function requireDocker(t: Skippable): Promise<boolean> {
  if (await dockerAvailable()) return true;
  const why = `Docker does not answer on ${dockerSocketPath()} (start it with: bash deploy/ensure-system.sh docker)`;
  if (isCI()) throw new Error(`${why}; CI=true, so this is a failure, not a skip`);
  t.plan(0, why);
  return false;
}

const buildArgs: Readonly<Record<string, string>> = {
  'busybox:1.35': 'busybox',
  'busybox:latest': 'busybox',
  'busybox': 'busybox',
  'registry.k8s.io/pause:3.10': 'pause',
  'tskube/node:20': 'node',
  'tskube/etcd:3.4': 'etcd',
};

/** Resolves the image's id if it exists locally; throws with the command that builds it otherwise. */
export async function ensureImage(name: string): Promise<string> {
  const res = await dockerGet(`/${apiVersion}/images/${encodeURIComponent(name)}/json`, 10_000);
  if (res.statusCode === 200) return (JSON.parse(res.body) as { Id: string }).Id;
  if (res.statusCode === 404) {
    const which = buildArgs[name];
    const how = which === undefined
      ? 'no offline recipe builds it; add one to deploy/images/build-images.sh'
      : `build it with: bash deploy/images/build-images.sh ${which}`;
    throw new Error(`image ${name} is not present (there is no registry to pull from): ${how}`);
  }
  throw new Error(`docker GET image ${name}: HTTP ${res.statusCode}: ${res.body}`);
}
