// An independent checker for the writer's derived data: it reads the database file
// through its own connection and recomputes, from the points alone, what the chunk
// rollups and the series/run/workload aggregates must be.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { type ChunkRow, chunkFromPoints } from '../../src/store/sqlite/chunks.js';

type PointRow = [number, number | null, number];

export function assertDerivedDataConsistent(path: string): void {
  const db = new Database(path, { readonly: true });
  try {
    const seriesRows = db.prepare('SELECT * FROM series').all() as Array<Record<string, number | null>>;
    const pointsOf = db.prepare('SELECT step, value, wall_time FROM points WHERE series_id = ? ORDER BY step').raw();
    const chunksOf = db.prepare('SELECT * FROM chunks WHERE series_id = ? ORDER BY start_step');
    for (const s of seriesRows) {
      const id = s.id as number;
      const points = pointsOf.all(id) as PointRow[];
      const chunks = chunksOf.all(id) as ChunkRow[];
      // Chunks partition the points: each chunk covers [start_step, next start_step).
      const expected: ChunkRow[] = [];
      chunks.forEach((c, i) => {
        const until = chunks[i + 1]?.start_step ?? Infinity;
        const mine = points.filter((p) => p[0] >= c.start_step && p[0] < until);
        const rebuilt = chunkFromPoints(id, mine);
        assert.ok(rebuilt !== null, `series ${id}: empty chunk at ${c.start_step}`);
        expected.push(rebuilt);
      });
      assert.ok(
        points.length === 0 || (chunks[0] !== undefined && chunks[0].start_step <= points[0]![0]),
        `series ${id}: points before the first chunk`,
      );
      assert.deepEqual(chunks, expected, `series ${id}: chunk rollups differ from the points`);

      assertSummaryMatches(id, s, points);
    }
    const runMismatch = db
      .prepare(`SELECT r.id FROM runs r WHERE r.points <>
      (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = r.id)`)
      .all();
    assert.deepEqual(runMismatch, [], 'runs.points differs from its series');
    const wlMismatch = db
      .prepare(`SELECT w.id FROM workloads w WHERE w.points <>
      (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = w.id)`)
      .all();
    assert.deepEqual(wlMismatch, [], 'workloads.points differs from its series');
  } finally {
    db.close();
  }
}

/** A series row's summary (count, last point, finite min and max) against its points, in step order. */
export function assertSummaryMatches(
  id: number,
  s: Record<string, unknown>,
  points: ReadonlyArray<readonly [number, number | null, number]>,
): void {
  const finite = points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v));
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
    `series ${id}: summary differs from the points`,
  );
}
