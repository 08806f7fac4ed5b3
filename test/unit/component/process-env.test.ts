import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMPONENT_ENV, COMPONENT_NODE_FLAGS, componentEnv, componentNodeArgs } from '../../../pkg/component/process-env.js';

t.test('deploy/Dockerfile sets the same environment as the launcher and the tests', async (t) => {
  // From dist/test/unit/component/ up to the repository root.
  const dockerfile = readFileSync(fileURLToPath(new URL('../../../../deploy/Dockerfile', import.meta.url)), 'utf8');
  const set = new Map<string, string>();
  for (const line of dockerfile.split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      set.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  for (const [name, value] of Object.entries(COMPONENT_ENV)) t.equal(set.get(name), value, name);
  const entrypoint = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  t.same(JSON.parse(entrypoint?.slice('ENTRYPOINT '.length) ?? '[]'), ['node', ...COMPONENT_NODE_FLAGS], 'and node with the same flags');
});

t.test('components start with the node flags before their main module', async (t) => {
  t.ok(COMPONENT_NODE_FLAGS.length > 0);
  t.same(componentNodeArgs('main.js', ['--port', '1']), [...COMPONENT_NODE_FLAGS, 'main.js', '--port', '1']);
});

t.test('values the user set win over the components\' defaults', async (t) => {
  const env = componentEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0', PATH: '/bin' });
  t.equal(env['GLIBC_TUNABLES'], 'glibc.malloc.hugetlb=0');
  t.equal(env['MALLOC_ARENA_MAX'], COMPONENT_ENV['MALLOC_ARENA_MAX']);
  t.equal(env['PATH'], '/bin');
});
