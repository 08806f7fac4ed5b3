import t from 'tap';
import { watchChunk } from '../../../../pkg/apiserver/handlers/watch-handler.js';

t.test('a watch line is framed as one HTTP/1.1 chunk sized in bytes, not characters', async (t) => {
  const line = '{"type":"ADDED","object":{"metadata":{"name":"ü-€"}}}\n';
  const chunk = watchChunk(line);
  const bytes = Buffer.byteLength(line);
  t.not(bytes, line.length, 'the line has multi-byte characters');
  t.equal(chunk.toString('utf8'), `${bytes.toString(16)}\r\n${line}\r\n`);
});

t.test('a line of 4 KiB and more gets a multi-digit hex size', async (t) => {
  const line = `${'x'.repeat(4095)}\n`;
  t.equal(watchChunk(line).subarray(0, 6).toString('latin1'), '1000\r\n');
});
