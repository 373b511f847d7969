// Grafana-compat reads (the original's metrics/data and iteration-times routes): raw points and per-step times. Unlike the original,
// no metric name is reserved and values are returned as stored (NaN stays NaN).
import type Database from 'better-sqlite3';
import type { RawPoint, RawPointsQuery, StepTimesQuery } from '../types.js';
import { fromStoredValue } from './chunks.js';

export class RawQueries {
  private readonly points;
  private readonly stepTimes;

  constructor(db: Database.Database) {
    this.points = db
      .prepare(`SELECT m.name, r.run_id, r.rank, p.step, p.value, p.wall_time
        FROM workloads w JOIN metric_names m ON m.workload_id = w.id
        JOIN series s ON s.metric_id = m.id JOIN runs r ON r.id = s.run_pk JOIN points p ON p.series_id = s.id
        WHERE w.uid = @uid AND (@names IS NULL OR m.name IN (SELECT value FROM json_each(@names)))
          AND p.wall_time >= @from AND p.wall_time <= @to
        ORDER BY p.wall_time, p.step, m.name LIMIT @limit`)
      .raw();
    this.stepTimes = db
      .prepare(`SELECT p.step, min(p.wall_time) FROM workloads w JOIN series s ON s.workload_id = w.id
        JOIN points p ON p.series_id = s.id
        WHERE w.uid = @uid AND p.wall_time >= @from AND p.wall_time <= @to
        GROUP BY p.step ORDER BY p.step LIMIT @limit`)
      .raw();
  }

  rawPoints(q: RawPointsQuery): RawPoint[] {
    const names = q.names !== undefined && q.names.length > 0 ? JSON.stringify(q.names) : null;
    const rows = this.points.all({
      uid: q.workload_uid,
      names,
      from: q.from_time ?? -Infinity,
      to: q.to_time ?? Infinity,
      limit: q.limit,
    }) as Array<[string, string, number, number, number | null, number]>;
    return rows.map(([metric_name, run_id, rank, step, value, wall_time]) => ({
      metric_name,
      run_id,
      rank,
      step,
      value: fromStoredValue(value),
      wall_time,
    }));
  }

  stepTimesOf(q: StepTimesQuery): Array<{ step: number; wall_time: number }> {
    const rows = this.stepTimes.all({
      uid: q.workload_uid,
      from: q.from_time ?? -Infinity,
      to: q.to_time ?? Infinity,
      limit: q.limit,
    }) as Array<[number, number]>;
    return rows.map(([step, wall_time]) => ({ step, wall_time }));
  }
}
