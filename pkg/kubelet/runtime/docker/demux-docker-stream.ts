// Docker multiplexes a non-TTY container's stdout and stderr on one stream: each frame is an
// 8-byte header (stream type, 3 zero bytes, big-endian payload length) then the payload.
// Frames are split and joined arbitrarily across chunks, so parse statefully.

export type StdStream = 'stdin' | 'stdout' | 'stderr';

export interface StreamFrame {
  stream: StdStream;
  data: Buffer;
}

const HEADER_BYTES = 8;
const STREAM_TYPES: readonly StdStream[] = ['stdin', 'stdout', 'stderr'];

export async function* demuxDockerStream(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<StreamFrame> {
  let pending = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, Buffer.from(chunk)]);
    while (pending.length >= HEADER_BYTES) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER_BYTES + size) break;
      const stream = STREAM_TYPES[pending[0] ?? 1] ?? 'stdout';
      yield { stream, data: pending.subarray(HEADER_BYTES, HEADER_BYTES + size) };
      pending = pending.subarray(HEADER_BYTES + size);
    }
  }
  if (pending.length > 0) throw new Error(`docker stream ended inside a frame (${pending.length} bytes left)`);
}
