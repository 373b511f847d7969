// Runs every server/test/**/*.test.ts with node's built-in runner (through tsx), printing the
// spec reporter on stdout and, when JUNIT_OUT is set, writing node's JUnit report there.
// Arguments narrow the run to files or folders: `node scripts/run-tests.mjs test/http`.
// Node 20's --test does not expand globs, so the file list is collected here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function collect(path, out) {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    collect(join(path, entry), out);
  }
  return out;
}

const roots = process.argv.length > 2 ? process.argv.slice(2).map((p) => resolve(serverRoot, p)) : [join(serverRoot, 'test')];
const files = roots.flatMap((root) => collect(root, [])).map((f) => relative(serverRoot, f));
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found under', roots.join(', '));
  process.exit(1);
}

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout'];
const junitOut = process.env.JUNIT_OUT;
if (junitOut) {
  mkdirSync(dirname(resolve(junitOut)), { recursive: true });
  args.push('--test-reporter=junit', `--test-reporter-destination=${resolve(junitOut)}`);
}
args.push(...files);

const result = spawnSync(process.execPath, args, { cwd: serverRoot, stdio: 'inherit' });
if (result.error) {
  console.error('run-tests: could not start node:', result.error.message);
  process.exit(1);
}
process.exit(result.status ?? 1);
