// httpGet probes (pkg/probe/http DoHTTPProbe): 200–399 succeeds, a redirect that was not
// followed is a warning, any other code fails with "HTTP probe failed with statuscode: N"
// (never the body: it could hold secrets), and transport errors fail with their Go text.
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { httpGet, HttpGetError, requestForHttpGetAction } from './http-get.js';
import { ProbeError, type ProbeOutcome } from './probe-result.js';

export async function httpProbe(action: HTTPGetAction, container: Pick<Container, 'ports'>, podIP: string, timeoutMs: number): Promise<ProbeOutcome> {
  let req;
  try {
    req = requestForHttpGetAction(action, container, podIP, 'probe');
  } catch (err) {
    throw new ProbeError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  let res;
  try {
    res = await httpGet(req, timeoutMs);
  } catch (err) {
    if (err instanceof HttpGetError) return { result: 'failure', output: err.message };
    throw new ProbeError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (res.statusCode >= 200 && res.statusCode < 400) {
    if (res.statusCode >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
    return { result: 'success', output: res.body };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.statusCode}` };
}
