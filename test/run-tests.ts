// `npm test`: one real etcd shared by every test file (each test uses its own key prefix),
// then tap over the compiled unit, integration and e2e tests. Prints one line per test file
// and ends with the plain `N passed, N failed` line CI reads; the full TAP goes to a log.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd } from './harness/etcd.js';

const distTest = fileURLToPath(new URL('.', import.meta.url));
const root = join(distTest, '..', '..');
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = suites.flatMap((s) => (s.endsWith('.js') ? [join(root, s)] : testFiles(join(distTest, s))));
const logDir = join(root, 'test-results');
mkdirSync(logDir, { recursive: true });
const logPath = join(logDir, 'tap.log');
const log = createWriteStream(logPath);

const started = Date.now();
const etcd = await startEtcd();
process.stdout.write(`etcd for tests at ${etcd.endpoint}; ${files.length} test files; full TAP in ${relative(process.cwd(), logPath)}\n`);

const jobs = process.env['TSKUBE_TEST_JOBS'] ?? '2';
const tap = spawn(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--reporter=tap', `--jobs=${jobs}`, ...files], {
  cwd: root, env: { ...process.env, TSKUBE_TEST_ETCD: etcd.endpoint }, stdio: ['ignore', 'pipe', 'pipe'],
});

const indentOf = (line: string) => line.length - line.trimStart().length;

/**
 * The failing assertions of one file's TAP: each nested `not ok` line with its YAML diagnostic
 * block, less the quoted source. They go to stdout as well as to the log, because CI keeps
 * only stdout.
 */
function failureDetails(fileLines: string[], maxLines = 80): string[] {
  const out: string[] = [];
  let inYaml = false;
  let keep = false;
  let skipDeeperThan = -1;
  for (const line of fileLines) {
    const trimmed = line.trim();
    if (/^not ok /.test(trimmed)) {
      keep = true;
      out.push(line);
    } else if (keep && trimmed === '---') {
      inYaml = true;
    } else if (inYaml) {
      if (trimmed === '...') inYaml = keep = false;
      else if (skipDeeperThan >= 0 && (trimmed === '' || indentOf(line) > skipDeeperThan)) continue;
      else if (trimmed.startsWith('source:')) skipDeeperThan = indentOf(line);
      else {
        skipDeeperThan = -1;
        out.push(line);
      }
    } else {
      keep = false;
    }
  }
  return out.length > maxLines ? [...out.slice(0, maxLines), `    … ${out.length - maxLines} more lines in the log`] : out;
}

let counts = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
const failedFiles: string[] = [];
let fileLines: string[] = [];
let pending = '';
tap.stdout.on('data', (chunk: Buffer) => {
  log.write(chunk);
  pending += chunk.toString();
  let nl: number;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const file = /^(not ok|ok) \d+ - (\S+)(.*)$/.exec(line);
    if (file) {
      const name = relative(root, file[2]!);
      process.stdout.write(`${file[1] === 'ok' ? 'ok    ' : 'FAIL  '} ${name}${file[3]!.replace(/ # time=([\d.]+)ms/, (_m, t: string) => ` (${(Number(t) / 1000).toFixed(1)}s)`)}\n`);
      if (file[1] === 'not ok') {
        failedFiles.push(name);
        for (const detail of failureDetails(fileLines)) process.stdout.write(`${detail}\n`);
      }
      fileLines = [];
    } else if (line.startsWith(' ')) {
      fileLines.push(line);
    }
    const summary = /^# \{ (.*) \}$/.exec(line);
    if (summary) {
      const parsed: Record<string, number> = {};
      for (const part of summary[1]!.split(',')) {
        const [k, v] = part.split(':').map((s) => s.trim());
        if (k && v) parsed[k] = Number(v);
      }
      counts = { total: parsed['total'] ?? 0, pass: parsed['pass'] ?? 0, fail: parsed['fail'] ?? 0, skip: parsed['skip'] ?? 0, todo: parsed['todo'] ?? 0 };
    }
  }
});
tap.stderr.on('data', (chunk: Buffer) => log.write(chunk));

const code = await new Promise<number>((resolve) => tap.on('close', (c) => resolve(c ?? 1)));
await etcd.stop();
log.end();
const minutes = ((Date.now() - started) / 60000).toFixed(1);
if (failedFiles.length) process.stdout.write(`\nfailed test files (details in ${relative(process.cwd(), logPath)}):\n${failedFiles.map((f) => `  ${f}`).join('\n')}\n`);
process.stdout.write(`\ntests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped (${files.length} files, ${minutes} min)\n`);
process.stdout.write(`${counts.pass} passed, ${counts.fail} failed\n`);
process.exit(code === 0 && counts.fail === 0 ? 0 : 1);
