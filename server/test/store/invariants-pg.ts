// The PostgreSQL twin of invariants.ts: through its own connection it checks that every
// chunk row of series_chunks is well formed (steps ascending and unique, on the row's grid
// cell, chunk = step >> 8, arrays of one length) and recomputes, from the point arrays alone,
// what each row's rollup (its columns and their packed copy) and the series/run/workload
// aggregates must be, and compares.
import assert from 'node:assert/strict';
import pg from 'pg';
import { assertSummaryMatches } from './invariants.js';

const CHUNK_STEPS = 256;
// The packed rollup's order: part of the schema, so written out here, not imported.
const PACKED_COLUMNS = [
  'first_step',
  'last_step',
  'n',
  'fmin',
  'fmin_step',
  'fmax',
  'fmax_step',
  'nan_step',
  'pinf_step',
  'ninf_step',
  'min_wall',
  'max_wall',
  'first_value',
  'first_wall',
  'last_value',
  'last_wall',
  'fmin_wall',
  'fmax_wall',
  'nan_wall',
  'pinf_wall',
  'ninf_wall',
];
type Pt = [step: number, value: number, wall: number];

/** The rollup columns a chunk row must hold for these points (ascending steps). */
function rollup(points: Pt[]): Record<string, number | null> {
  const finite = points.filter((p) => Number.isFinite(p[1]));
  const pick = (better: (a: Pt, b: Pt) => boolean): Pt | undefined =>
    finite.reduce<Pt | undefined>((best, p) => (best === undefined || better(p, best) ? p : best), undefined);
  const lo = pick((a, b) => a[1] < b[1]);
  const hi = pick((a, b) => a[1] > b[1]);
  const first = (pred: (v: number) => boolean): Pt | undefined => points.find((p) => pred(p[1]));
  const nan = first(Number.isNaN);
  const pinf = first((v) => v === Infinity);
  const ninf = first((v) => v === -Infinity);
  const a = points[0]!;
  const z = points[points.length - 1]!;
  const walls = points.map((p) => p[2]);
  return {
    n: points.length,
    first_step: a[0],
    last_step: z[0],
    first_value: a[1],
    first_wall: a[2],
    last_value: z[1],
    last_wall: z[2],
    fmin: lo?.[1] ?? null,
    fmin_step: lo?.[0] ?? null,
    fmin_wall: lo?.[2] ?? null,
    fmax: hi?.[1] ?? null,
    fmax_step: hi?.[0] ?? null,
    fmax_wall: hi?.[2] ?? null,
    nan_step: nan?.[0] ?? null,
    nan_wall: nan?.[2] ?? null,
    pinf_step: pinf?.[0] ?? null,
    pinf_wall: pinf?.[2] ?? null,
    ninf_step: ninf?.[0] ?? null,
    ninf_wall: ninf?.[2] ?? null,
    min_wall: Math.min(...walls),
    max_wall: Math.max(...walls),
  };
}

export async function assertPgDerivedDataConsistent(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  c.setTypeParser(20, (v: string) => Number(v));
  await c.connect();
  try {
    const series = (await c.query('SELECT id, count, last_step, last_value, last_time, fmin, fmax FROM series ORDER BY id')).rows;
    const orphans = await c.query('SELECT series_id FROM series_chunks WHERE series_id NOT IN (SELECT id FROM series)');
    assert.deepEqual(orphans.rows, [], 'chunk rows without a series');
    for (const s of series) {
      const rows = (await c.query('SELECT * FROM series_chunks WHERE series_id = $1 ORDER BY chunk', [s.id])).rows;
      const all: Pt[] = [];
      for (const { series_id: _sid, chunk, steps, vals, walls, rollup: packed, ...stored } of rows) {
        assert.ok(
          steps.length > 0 && steps.length === vals.length && steps.length === walls.length,
          `series ${s.id} chunk ${chunk}: array lengths`,
        );
        // bigint[] arrives as strings; every stored step is a safe integer.
        const points: Pt[] = steps.map((step: string, i: number) => [Number(step), vals[i], walls[i]]);
        points.forEach(([step], i) => {
          assert.equal(Math.floor(step / CHUNK_STEPS), chunk, `series ${s.id}: step ${step} in chunk ${chunk}`);
          if (i > 0) assert.ok(step > points[i - 1]![0], `series ${s.id} chunk ${chunk}: steps ascending and unique`);
        });
        const expected = rollup(points);
        assert.deepEqual(stored, expected, `series ${s.id} chunk ${chunk}: rollup differs from the points`);
        // The packed copy the reader uses: the same numbers as float8, NULL as NaN.
        const b = packed as Buffer;
        const unpacked = PACKED_COLUMNS.map((_, k) => b.readDoubleBE(k * 8));
        assert.deepEqual(
          unpacked,
          PACKED_COLUMNS.map((col) => expected[col] ?? NaN),
          `series ${s.id} chunk ${chunk}: packed rollup`,
        );
        all.push(...points);
      }
      assertSummaryMatches(s.id, s, all);
    }
    const q = async (text: string): Promise<unknown[]> => (await c.query(text)).rows;
    const runs = await q(
      `SELECT r.id FROM runs r WHERE r.points <> (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = r.id)`,
    );
    assert.deepEqual(runs, [], 'runs.points differs from its series');
    const wls = await q(
      `SELECT w.id FROM workloads w WHERE w.points <> (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = w.id)`,
    );
    assert.deepEqual(wls, [], 'workloads.points differs from its series');
  } finally {
    await c.end();
  }
}
