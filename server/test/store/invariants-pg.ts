// The PostgreSQL twin of invariants.ts: through its own connection it recomputes, from the
// points alone, what the chunk rollups (fixed grid, chunk = step >> 8) and the
// series/run/workload aggregates must be, and compares.
import assert from 'node:assert/strict';
import pg from 'pg';
import { chunkFromPoints } from '../../src/store/sqlite/chunks.js';

type PointRow = [number, number, number];

export async function assertPgDerivedDataConsistent(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  c.setTypeParser(20, (v: string) => Number(v));
  await c.connect();
  try {
    const q = async (text: string, values: unknown[] = []): Promise<unknown[][]> =>
      (await c.query({ text, values, rowMode: 'array' })).rows as unknown[][];
    const series = (await c.query('SELECT id, count, last_step, last_value, last_time, fmin, fmax FROM series ORDER BY id')).rows;
    for (const s of series) {
      const points = (await q('SELECT step, value, wall_time FROM points WHERE series_id = $1 ORDER BY step', [s.id])) as PointRow[];
      const chunks = (await c.query(`SELECT chunk, series_id, start_step, end_step, count, fmin, fmin_step, fmax, fmax_step,
        nan_step, pinf_step, ninf_step, min_wall, max_wall FROM chunks WHERE series_id = $1 ORDER BY chunk`, [s.id])).rows;
      const grid = new Map<number, PointRow[]>();
      for (const p of points) {
        const k = Math.floor(p[0] / 256);
        const list = grid.get(k) ?? [];
        list.push(p);
        grid.set(k, list);
      }
      const expected = [...grid.entries()].sort((a, b) => a[0] - b[0]).map(([chunk, rows]) => ({ chunk, ...chunkFromPoints(s.id, rows) }));
      assert.deepEqual(chunks, expected, `series ${s.id}: chunk rollups differ from the points`);
      const finite = points.map((p) => p[1]).filter((v) => Number.isFinite(v));
      const last = points[points.length - 1];
      assert.deepEqual(
        { count: s.count, last_step: s.last_step, last_value: s.last_value, last_time: s.last_time, fmin: s.fmin, fmax: s.fmax },
        {
          count: points.length,
          last_step: last?.[0] ?? null,
          last_value: last?.[1] ?? null,
          last_time: last?.[2] ?? null,
          fmin: finite.length ? Math.min(...finite) : null,
          fmax: finite.length ? Math.max(...finite) : null,
        },
        `series ${s.id}: summary differs from the points`,
      );
    }
    const runs = await q(`SELECT r.id FROM runs r WHERE r.points <> (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = r.id)`);
    assert.deepEqual(runs, [], 'runs.points differs from its series');
    const wls = await q(`SELECT w.id FROM workloads w WHERE w.points <> (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = w.id)`);
    assert.deepEqual(wls, [], 'workloads.points differs from its series');
  } finally {
    await c.end();
  }
}
