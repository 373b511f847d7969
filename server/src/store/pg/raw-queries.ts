// Grafana-compat reads: raw points and per-step times. No metric name is reserved and
// values are returned as stored (NaN stays NaN). Capped by the caller's limit. The chunk
// rows' wall-time range skips the rows outside the time window before their arrays are read.
import type pg from 'pg';
import type { RawPoint, RawPointsQuery, StepTimesQuery } from '../types.js';
import { query } from './connection.js';

export async function rawPoints(pool: pg.Pool, q: RawPointsQuery): Promise<RawPoint[]> {
  const names = q.names !== undefined && q.names.length > 0 ? q.names : null;
  const rows = await query<{ name: string; run_id: string; rank: number; step: number; value: number; wall_time: number }>(
    pool,
    `SELECT m.name, r.run_id, r.rank, p.step, p.value, p.wall_time
     FROM workloads w JOIN metric_names m ON m.workload_id = w.id
     JOIN series s ON s.metric_id = m.id JOIN runs r ON r.id = s.run_pk
     JOIN series_chunks c ON c.series_id = s.id AND c.max_wall >= $3 AND c.min_wall <= $4
     CROSS JOIN LATERAL unnest(c.steps, c.vals, c.walls) AS p(step, value, wall_time)
     WHERE w.uid = $1 AND ($2::text[] IS NULL OR m.name = ANY($2::text[]))
       AND p.wall_time >= $3 AND p.wall_time <= $4
     ORDER BY p.wall_time, p.step, m.name COLLATE "C" LIMIT $5`,
    [q.workload_uid, names, q.from_time ?? '-Infinity', q.to_time ?? 'Infinity', q.limit],
  );
  return rows.map((r) => ({
    metric_name: r.name,
    run_id: r.run_id,
    rank: r.rank,
    step: r.step,
    value: r.value,
    wall_time: r.wall_time,
  }));
}

export async function stepTimes(pool: pg.Pool, q: StepTimesQuery): Promise<Array<{ step: number; wall_time: number }>> {
  return query<{ step: number; wall_time: number }>(
    pool,
    `SELECT p.step, min(p.wall_time) AS wall_time FROM workloads w JOIN series s ON s.workload_id = w.id
     JOIN series_chunks c ON c.series_id = s.id AND c.max_wall >= $2 AND c.min_wall <= $3
     CROSS JOIN LATERAL unnest(c.steps, c.walls) AS p(step, wall_time)
     WHERE w.uid = $1 AND p.wall_time >= $2 AND p.wall_time <= $3
     GROUP BY p.step ORDER BY p.step LIMIT $4`,
    [q.workload_uid, q.from_time ?? '-Infinity', q.to_time ?? 'Infinity', q.limit],
  );
}
