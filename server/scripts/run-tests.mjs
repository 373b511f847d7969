// Runs every server/test/**/*.test.ts with node's built-in runner (through tsx), printing the
// spec reporter on stdout and, when JUNIT_OUT is set, writing node's JUnit report there.
// Arguments narrow the run to files or folders: `node scripts/run-tests.mjs test/http`.
// The file list is collected here (rather than left to --test's globs) so that arguments can name
// files and folders alike.
// One throw-away PostgreSQL cluster serves the whole run (each test makes its own database in
// it); it is removed afterwards whatever the outcome, also on Ctrl-C.
// Every server the tests start logs into one folder (LENS_TEST_LOG_DIR) and every token they
// create is noted there; when the run included the auth tests, a second phase checks that no
// token reached a log (test/suite-end/no-secrets-in-logs.ts; its JUnit report sits beside the
// first one as <name>-suite-end.xml).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './pg-cluster.mjs';

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

let cluster = null;
const logDir = mkdtempSync(join(tmpdir(), 'lens-suite-logs-'));
const env = { ...process.env, LENS_TEST_LOG_DIR: logDir };
try {
  cluster = await startCluster();
  env.LENS_TEST_PG_PORT = String(cluster.port);
} catch (err) {
  // The PostgreSQL tests then fail with this reason; the others still run.
  console.error('run-tests: no PostgreSQL cluster for the tests:', err.message);
}
const stop = () => {
  if (cluster !== null) cluster.destroy();
  cluster = null;
  rmSync(logDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stop();
    process.exit(130);
  });
}
let result;
let suiteEnd = null;
try {
  result = spawnSync(process.execPath, args, { cwd: serverRoot, stdio: 'inherit', env });
  if (!result.error && existsSync(join(logDir, 'secrets.txt'))) {
    const endArgs = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout'];
    if (junitOut)
      endArgs.push(
        '--test-reporter=junit',
        `--test-reporter-destination=${resolve(junitOut).replace(/(\.xml)?$/, '-suite-end.xml')}`,
      );
    endArgs.push(join('test', 'suite-end', 'no-secrets-in-logs.ts'));
    suiteEnd = spawnSync(process.execPath, endArgs, { cwd: serverRoot, stdio: 'inherit', env });
  }
} finally {
  stop();
}
if (result.error) {
  console.error('run-tests: could not start node:', result.error.message);
  process.exit(1);
}
process.exit(result.status || (suiteEnd === null ? 0 : (suiteEnd.status ?? 1)));
