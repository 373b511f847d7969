// The built server as a real child process (`node dist/src/main.js`): it logs its URL,
// SIGTERM drains, commits, closes the database and exits 0, and everything acknowledged is
// there after a restart. A bad environment stops it at boot with a clear message.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/pg-cluster.mjs';
import { get, metricsBody, postJson } from '../support/app-server.js';
import { ensureBuilt } from '../support/server-process.js';

const serverRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = join(serverRoot, 'dist', 'src', 'main.js');

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [mainJs], {
    cwd: serverRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, output: () => out, exited };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('node dist/src/main.js', () => {
  let dir: string;
  const children: Child[] = [];
  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'lens-proc-'));
  });
  after(() => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on SIGTERM after committing, and the data is there after a restart', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', LENS_DATABASE_URL: join(dir, 'nested', 'lens.db') };
    const base = `http://127.0.0.1:${port}`;

    const first = start(env);
    children.push(first);
    await waitFor(() => first.output().includes('listening on'), 'the listening line');
    assert.match(first.output(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));

    const points = Array.from({ length: 20_000 }, (_, i) => ({ name: 'loss', value: i === 3 ? 'NaN' : 1 / (i + 1), step: i }));
    const big = postJson(base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'durable', run_id: 'r' }, points));
    // Signal while the big body is being handled: it must still be answered and committed.
    await waitFor(() => first.output().includes('Processing WandB metrics: 20000 metrics'), 'the metrics log line');
    first.proc.kill('SIGTERM');
    const answer = await big;
    assert.equal(answer.status, 200, answer.text);
    assert.equal(await withTimeout(first.exited, 30_000, 'exit after SIGTERM'), 0, first.output());
    assert.match(first.output(), /shutdown complete/);

    const second = start(env);
    children.push(second);
    await waitFor(() => second.output().includes('listening on'), 'the second listening line');
    const metrics = await get(base, '/api/v1/workloads/durable/metrics');
    assert.equal(metrics.status, 200, metrics.text);
    assert.equal(metrics.json.metrics[0].count, 20_000);
    const series = await get(base, '/api/v1/workloads/durable/metrics/series?name=loss&to_step=4');
    assert.deepEqual(
      series.json.series[0].points.map((p: unknown[]) => p[1]),
      [1, 0.5, 1 / 3, 'NaN', 0.2],
    );
    second.proc.kill('SIGINT');
    assert.equal(await withTimeout(second.exited, 30_000, 'exit after SIGINT'), 0, second.output());
  });

  it('refuses a bad environment at boot with a clear message and exit code 2', { timeout: 30_000 }, async () => {
    const bad = start({ PORT: 'eighty', LENS_LOG_LEVEL: 'loud', LENS_DATABASE_URL: join(dir, 'bad.db') });
    children.push(bad);
    assert.equal(await withTimeout(bad.exited, 20_000, 'exit on bad config'), 2);
    assert.match(bad.output(), /PORT="eighty" must be an integer/);
    assert.match(bad.output(), /LENS_LOG_LEVEL="loud" must be one of/);
  });

  // A path under /proc used to make the server spin at full CPU without ever listening (Node's
  // recursive mkdir never returns there), and a folder failed with a stack trace and no path.
  for (const [name, path, reason] of [
    ['a folder that cannot be created', '/proc/lens-nope/lens.db', /cannot create the folder \/proc\/lens-nope \(E[A-Z]+\)/],
    ['a folder given as the file', '', /is a folder; give the path of the database file inside it/],
    ['a file where a folder must be', '/dev/null/lens.db', /\/dev\/null is not a folder/],
    [
      'a PostgreSQL that does not answer, password hidden',
      'postgres://lens:s3cret@127.0.0.1:1/lens',
      /cannot connect and migrate/,
    ],
  ] as const) {
    it(`stops at once with one line naming LENS_DATABASE_URL and the path: ${name}`, { timeout: 30_000 }, async () => {
      const target = path === '' ? dir : path;
      const bad = start({ PORT: '0', LENS_DATABASE_URL: target, LENS_PG_CONNECT_TIMEOUT_MS: '2000' });
      children.push(bad);
      assert.equal(await withTimeout(bad.exited, 20_000, 'exit on an unusable database'), 2, bad.output());
      const lines = bad.output().trim().split('\n');
      assert.equal(lines.length, 1, bad.output()); // no stack trace
      const shown = target.replace(':s3cret@', ':***@');
      assert.ok(lines[0]?.startsWith(`primus-lens: failed to start: LENS_DATABASE_URL=${shown}: `), lines[0]);
      assert.ok(!bad.output().includes('s3cret'));
      assert.match(lines[0] ?? '', reason);
    });
  }
});
