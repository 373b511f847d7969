// querySeries for SQLite: finds the series of a query and gives the shared planner
// (../series-plan.ts) its three reads as prepared statements returning raw tuples.
import type Database from 'better-sqlite3';
import { type ChunkTuple, readSeries, type SeriesSource, type StepRange } from '../series-plan.js';
import type { Series, SeriesPoint, SeriesQuery } from '../types.js';
import { fromStoredValue } from './chunks.js';

const MIN_STEP = -Number.MAX_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;

type RawRow = [number, number | null, number];

const decode = (rows: RawRow[]): SeriesPoint[] => rows.map((row) => [row[0], fromStoredValue(row[1]), row[2]]);

export class SeriesReader {
  private readonly findSeries;
  private readonly source: SeriesSource;

  constructor(db: Database.Database) {
    this.findSeries = db
      .prepare(`SELECT s.id, r.run_id, r.rank FROM workloads w
      JOIN metric_names m ON m.workload_id = w.id AND m.name = @name
      JOIN series s ON s.metric_id = m.id
      JOIN runs r ON r.id = s.run_pk
      WHERE w.uid = @uid AND (@run_id IS NULL OR r.run_id = @run_id) AND (@rank IS NULL OR r.rank = @rank)
      ORDER BY r.run_id, r.rank`)
      .raw();
    const chunksInRange = db
      .prepare(`SELECT start_step, end_step, count, fmin, fmin_step, fmax, fmax_step, nan_step, pinf_step, ninf_step,
          min_wall, max_wall
        FROM chunks WHERE series_id = ? AND start_step <= ? AND end_step >= ? ORDER BY start_step`)
      .raw();
    const pointsInRange = db
      .prepare(`SELECT step, value, wall_time FROM points WHERE series_id = ? AND step >= ? AND step <= ?
        AND wall_time >= ? AND wall_time <= ? ORDER BY step`)
      .raw();
    // One statement for all selected steps: SQLite does the seeks, JS crosses into native once.
    const pointsAt = db
      .prepare(`SELECT step, value, wall_time FROM points
        WHERE series_id = ? AND step IN (SELECT value FROM json_each(?)) ORDER BY step`)
      .raw();
    this.source = {
      chunks: (sid, from, to) => chunksInRange.all(sid, to, from) as ChunkTuple[],
      scan: (sid, from, to, r) => decode(pointsInRange.all(sid, from, to, r.fromTime, r.toTime) as RawRow[]),
      pointsAt: (sid, steps) => decode(pointsAt.all(sid, JSON.stringify(steps)) as RawRow[]),
    };
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    const rows = this.findSeries.all({
      name: q.name,
      uid: q.workload_uid,
      run_id: q.run_id ?? null,
      rank: q.rank ?? null,
    }) as Array<[number, string, number]>;
    const range: StepRange = {
      from: q.from_step ?? MIN_STEP,
      to: q.to_step ?? MAX_STEP,
      fromTime: q.from_time ?? -Infinity,
      toTime: q.to_time ?? Infinity,
    };
    const out: Series[] = [];
    for (const [sid, runId, rank] of rows) {
      out.push({ run_id: runId, rank, ...(await readSeries(this.source, sid, range, q.max_points)) });
    }
    return out;
  }
}
