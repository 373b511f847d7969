// Shared helpers for the store tests: a real SQLite file in a fresh temp dir per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type MetricBatch, type PointInput, type Store, type StoreOptions } from '../../src/store/index.js';

export interface TempStore {
  store: Store;
  path: string;
  reopen(opts?: StoreOptions): Promise<Store>;
  cleanup(): Promise<void>;
}

export async function tempStore(opts: StoreOptions = {}): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lens-store-test-'));
  const path = join(dir, 'sub', 'lens.db');
  const t: TempStore = {
    store: await openStore(path, opts),
    path,
    async reopen(o: StoreOptions = opts): Promise<Store> {
      await t.store.close();
      t.store = await openStore(path, o);
      return t.store;
    },
    async cleanup(): Promise<void> {
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
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
