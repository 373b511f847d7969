// The built server (`node dist/src/main.js`) as a real child process, for tests that need
// several of them (replicas) or need to break what is under them (the database).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/pg-cluster.mjs';
import { createDatabase, type TestDatabase } from './pg.js';
import { appendSuiteLog, recordSecret, suiteLogFile } from './suite-logs.js';

const serverRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = join(serverRoot, 'dist', 'src', 'main.js');

/** The latest modification time (ms) of any file below `dir`. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles with tsc when dist is missing or older than src (make test builds first anyway). */
export function ensureBuilt(): void {
  if (existsSync(mainJs) && statSync(mainJs).mtimeMs >= newestMtime(join(serverRoot, 'src'))) return;
  const tsc = spawnSync(process.execPath, [join(serverRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: serverRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(tsc.status, 0, `tsc failed: ${tsc.stdout}${tsc.stderr}`);
}

export interface ServerProcess {
  proc: ChildProcess;
  base: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the server logged its listening line. */
  listening(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 20 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startServerProcess(port: number, env: Record<string, string>): ServerProcess {
  const proc = spawn(process.execPath, [mainJs], {
    cwd: serverRoot,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const suiteLog = suiteLogFile('process');
  if (env.LENS_API_TOKEN) recordSecret(env.LENS_API_TOKEN);
  const collect = (c: Buffer): void => {
    out += c.toString('utf8');
    appendSuiteLog(suiteLog, c.toString('utf8'));
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const base = `http://127.0.0.1:${port}`;
  return {
    proc,
    base,
    output: () => out,
    exited,
    listening: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes('listening on')) {
        if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}: ${out}`);
        if (Date.now() > deadline) throw new Error(`server did not listen within ${timeoutMs} ms: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface Replicas {
  db: TestDatabase;
  a: ServerProcess;
  b: ServerProcess;
}

/**
 * Two server processes (two free ports) on one fresh PostgreSQL database, for the tests of the
 * enclosing describe: started at the same moment in its `before`; in its `after` stopped, the
 * database dropped, and both must have exited cleanly. Filled in once started.
 */
export function suiteReplicas(env: Record<string, string> = {}): Replicas {
  const r = {} as Replicas;
  before(async () => {
    ensureBuilt();
    r.db = await createDatabase();
    const [pa, pb] = [await freePort(), await freePort()];
    r.a = startServerProcess(pa, { LENS_DATABASE_URL: r.db.url, ...env });
    r.b = startServerProcess(pb, { LENS_DATABASE_URL: r.db.url, ...env });
    await Promise.all([r.a.listening(), r.b.listening()]);
  });
  after(async () => {
    const codes = await Promise.all([r.a?.stop(), r.b?.stop()]);
    await r.db?.drop();
    assert.deepEqual(codes, [0, 0], `${r.a?.output()}\n${r.b?.output()}`);
  });
  return r;
}
