// Shared helpers for the store tests. The contract suites run every test once per backend:
// SQLite on a real file in a fresh temp folder, PostgreSQL on a fresh database of a real
// throw-away cluster (test/support/pg.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
