// Shared helpers for the store tests. The contract suites run every test once per backend:
// SQLite on a real file in a fresh temp folder, PostgreSQL on a fresh database of a real
// throw-away cluster (test/support/pg.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../scripts/pg-cluster.mjs';
import { type MetricBatch, openStore, type PointInput, type Store, type StoreOptions } from '../../src/store/index.js';
import { createDatabase } from '../support/pg.js';
import { assertDerivedDataConsistent } from './invariants.js';
import { assertPgDerivedDataConsistent } from './invariants-pg.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

export interface TempStore {
  store: Store;
  backend: Backend;
  /** What openStore was given: the file path or the postgres:// URL. */
  url: string;
  reopen(opts?: StoreOptions): Promise<Store>;
  /** Recomputes chunks and aggregates from the raw points and compares (throws on a difference). */
  assertConsistent(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function tempStore(backend: Backend = 'sqlite', opts: StoreOptions = {}): Promise<TempStore> {
  let url: string;
  let remove: () => Promise<void>;
  if (backend === 'postgres') {
    const db = await createDatabase();
    url = db.url;
    remove = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'lens-store-test-'));
    url = join(dir, 'sub', 'lens.db');
    remove = async () => rmSync(dir, { recursive: true, force: true });
  }
  const t: TempStore = {
    store: await openStore(url, opts),
    backend,
    url,
    async reopen(o: StoreOptions = opts): Promise<Store> {
      await t.store.close();
      t.store = await openStore(url, o);
      return t.store;
    },
    async assertConsistent(): Promise<void> {
      if (backend === 'postgres') await assertPgDerivedDataConsistent(url);
      else assertDerivedDataConsistent(url);
    },
    async cleanup(): Promise<void> {
      await t.store.close();
      await remove();
    },
  };
  return t;
}

/** Runs one test's body on a fresh store of `backend`, and cleans up afterwards whatever happened. */
export async function withStore(backend: Backend, fn: (t: TempStore) => Promise<void>, opts: StoreOptions = {}): Promise<void> {
  const t = await tempStore(backend, opts);
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

/**
 * Opens and closes the store at `url` in a child process, as a server starting would; resolves
 * with what the child printed ('ok'), rejects when it fails or outlives `timeoutMs`.
 */
export function openInChild(url: string, timeoutMs: number): Promise<string> {
  const script = `import { openStore } from ${JSON.stringify(new URL('../../src/store/index.ts', import.meta.url).href)};
    const s = await openStore(process.argv[1]); await s.close(); console.log('ok');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`child exited ${code}: ${out}`));
    });
  });
}

/**
 * A store for a measurement script (not a test): PostgreSQL on a private cluster with fsync on,
 * so commits cost what they would; SQLite in a temp folder. `done` removes it.
 */
export async function openForMeasurement(backend: string): Promise<{ store: Store; done: () => void }> {
  if (backend === 'postgres') {
    const cluster = await startCluster({ fsync: true });
    const db = await createDatabase(cluster);
    return { store: await openStore(db.url), done: () => cluster.destroy() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'lens-measure-'));
  return { store: await openStore(join(dir, 'lens.db')), done: () => rmSync(dir, { recursive: true, force: true }) };
}

export function batch(over: Partial<MetricBatch> & { points: PointInput[] }): MetricBatch {
  return {
    workload_uid: 'w1',
    run_id: 'run-a',
    rank: 0,
    identity: { pod_name: 'pod-0', host: 'node-a' },
    received_at: 1_700_000_000,
    ...over,
  };
}

/** Points for steps [from, to) of one metric, value = f(step), wall time = base + step. */
export function pts(name: string, from: number, to: number, f: (s: number) => number, wallBase = 1_700_000_000): PointInput[] {
  const out: PointInput[] = [];
  for (let s = from; s < to; s++) out.push({ name, step: s, value: f(s), wall_time: wallBase + s });
  return out;
}

/** Same-value check that treats NaN as equal to NaN (assert.deepStrictEqual already does). */
export function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || a === b;
}
