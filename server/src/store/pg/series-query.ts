// querySeries for PostgreSQL: finds the series of a query and gives the shared planner
// (../series-plan.ts) its three reads. Points are read through the covering primary key
// (index-only scans); chunks are looked up by their grid index, chunk = step >> 8.
import type pg from 'pg';
import { readSeries, type ChunkTuple, type SeriesSource, type StepRange } from '../series-plan.js';
import type { Series, SeriesPoint, SeriesQuery } from '../types.js';
import { query, unavailableOr } from './connection.js';
import { CHUNK_COLUMNS, CHUNK_STEPS } from './series-writer.js';
import { numArray } from './sql-arrays.js';

const MIN_STEP = -Number.MAX_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;

export class PgSeriesReader {
  private readonly source: SeriesSource;

  constructor(private readonly pool: pg.Pool) {
    const rows = async (text: string, values: unknown[]): Promise<unknown[][]> => {
      try {
        return (await pool.query({ text, values, rowMode: 'array' })).rows as unknown[][];
      } catch (err) {
        throw unavailableOr(err);
      }
    };
    this.source = {
      chunks: async (sid, from, to) => (await rows(
        `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE series_id = $1 AND chunk >= $2 AND chunk <= $3
           AND start_step <= $5 AND end_step >= $4 ORDER BY chunk`,
        [sid, Math.floor(from / CHUNK_STEPS), Math.floor(to / CHUNK_STEPS), from, to])) as ChunkTuple[],
      scan: async (sid, from, to, r) => (await rows(
        `SELECT step, value, wall_time FROM points WHERE series_id = $1 AND step >= $2 AND step <= $3
           AND wall_time >= $4 AND wall_time <= $5 ORDER BY step`,
        [sid, from, to, r.fromTime, r.toTime])) as SeriesPoint[],
      // One primary-key lookup per step, forced (OFFSET 0 keeps the subquery per row): with
      // `step = ANY(…)` and no statistics yet, the planner reads the whole series instead.
      pointsAt: async (sid, steps) => (await rows(
        `SELECT p.step, p.value, p.wall_time FROM unnest($2::bigint[]) AS t(step)
         CROSS JOIN LATERAL (SELECT step, value, wall_time FROM points WHERE series_id = $1 AND step = t.step OFFSET 0) p
         ORDER BY p.step`,
        [sid, numArray(steps)])) as SeriesPoint[],
    };
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    const found = await query<{ id: number; run_id: string; rank: number }>(this.pool,
      `SELECT s.id, r.run_id, r.rank FROM workloads w
       JOIN metric_names m ON m.workload_id = w.id AND m.name = $2
       JOIN series s ON s.metric_id = m.id
       JOIN runs r ON r.id = s.run_pk
       WHERE w.uid = $1 AND ($3::text IS NULL OR r.run_id = $3) AND ($4::int IS NULL OR r.rank = $4)
       ORDER BY r.run_id COLLATE "C", r.rank`,
      [q.workload_uid, q.name, q.run_id ?? null, q.rank ?? null]);
    const range: StepRange = {
      from: q.from_step ?? MIN_STEP,
      to: q.to_step ?? MAX_STEP,
      fromTime: q.from_time ?? -Infinity,
      toTime: q.to_time ?? Infinity,
    };
    const out: Series[] = [];
    for (const s of found) out.push({ run_id: s.run_id, rank: s.rank, ...(await readSeries(this.source, s.id, range, q.max_points)) });
    return out;
  }
}
