// Raw HTTP over a socket, for requests no well-behaved client will send: unknown methods,
// bad escapes, oversize or never-finished headers. Every wait is bounded.
import { connect } from 'node:net';

export interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** The status code of the first response line, or undefined when none came. */
  code: number | undefined;
  /** The body after the first blank line. */
  body: string;
  /** Whether the server closed the connection (rather than our deadline ending the wait). */
  closed: boolean;
}

/**
 * Sends `data` and collects the answer until the server closes the connection, until
 * `untilText` has arrived, or until `timeoutMs` passes.
 */
export function rawRequest(port: number, data: string | Buffer, opts: { timeoutMs?: number; untilText?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const head = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      resolve({ text, code: head ? Number(head[1]) : undefined, body: split < 0 ? '' : text.slice(split + 4), closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5_000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (opts.untilText !== undefined && text.includes(opts.untilText)) finish(false);
    });
    // A reset after the answer still counts as the server closing.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    if (data.length > 0) socket.write(data);
  });
}

/** A complete GET that asks the server to close afterwards. */
export function rawGet(port: number, path: string): Promise<RawAnswer> {
  return rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
}
