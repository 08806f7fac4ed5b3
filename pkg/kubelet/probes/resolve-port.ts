// A probe's or hook's port is an IntOrString: a number, or the name of one of the
// container's ports, else a number written as a string (probe.ResolveContainerPort). The
// error text is Go's, since it ends up in "... probe errored and resulted in unknown state: ...".
import type { Container } from 'kubernetes-types/core/v1.js';
import { goQuote } from './go-format.js';

export function resolvePort(port: number | string | undefined, container: Pick<Container, 'ports'>): number {
  let n: number;
  if (typeof port === 'number') {
    n = port;
  } else {
    const named = container.ports?.find((p) => p.name === port);
    if (named) {
      n = named.containerPort;
    } else {
      if (port === undefined || !/^[+-]?\d+$/.test(port)) throw new Error(`strconv.Atoi: parsing ${goQuote(port ?? '')}: invalid syntax`);
      n = Number(port);
    }
  }
  if (n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}
