// Stands in for the etcd client thread of pkg/storage/grpc-unary-worker.ts: the first one
// started dies at its first batch, leaving its calls unanswered; later ones are the real thread.
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const mark = process.env['TSKUBE_TEST_THREAD_DEATH_MARK'];
if (!mark) throw new Error('TSKUBE_TEST_THREAD_DEATH_MARK is not set');
if (!existsSync(mark)) {
  writeFileSync(mark, '');
  parentPort?.once('message', () => process.exit(1));
} else {
  await import('../../../pkg/storage/grpc-unary-worker.js');
}
