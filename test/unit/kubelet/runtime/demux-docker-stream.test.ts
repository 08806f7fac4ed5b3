import t from 'tap';
import { demuxDockerStream } from '../../../../pkg/kubelet/runtime/docker/demux-docker-stream.js';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function collect(chunks: Buffer[]): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const f of demuxDockerStream((async function* () { yield* chunks; })())) out.push([f.stream, f.data.toString()]);
  return out;
}

t.test('splits stdout and stderr frames', async (t) => {
  t.same(await collect([Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])]), [['stdout', 'out\n'], ['stderr', 'err\n']]);
});

t.test('reassembles frames split at any byte, header included', async (t) => {
  const whole = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world\n')]);
  for (let cut = 1; cut < whole.length; cut++) {
    const got = await collect([whole.subarray(0, cut), whole.subarray(cut)]);
    t.same(got, [['stdout', 'hello '], ['stderr', 'oops'], ['stdout', 'world\n']], `cut at ${cut}`);
  }
  const bytes = [...whole].map((b) => Buffer.from([b]));
  t.equal((await collect(bytes)).length, 3, 'one byte at a time');
});

t.test('a stream ending inside a frame is an error', async (t) => {
  await t.rejects(collect([frame(1, 'abc').subarray(0, 9)]), /inside a frame/);
});
