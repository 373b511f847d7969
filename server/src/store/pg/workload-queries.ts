// Read side for the list/summary endpoints, from the interned rows and the aggregates the
// writer maintains: cost grows with series and runs, never with points.
import type pg from 'pg';
import { healthParams, workloadSeveritySql } from '../health-sql.js';
import { foldMetricSummaries, runRecord, type SeriesSummaryRow } from '../row-records.js';
import type { MetricSummary, RunRow, WorkloadDetail, WorkloadFilter, WorkloadRow } from '../types.js';
import { query } from './connection.js';

const ROW_COLUMNS = `w.id AS id, w.uid AS workload_uid, d.framework, d.wrapper_framework, d.base_framework, d.confidence,
  d.status, w.first_seen, w.last_seen,
  (SELECT count(*) FROM runs r WHERE r.workload_id = w.id) AS runs,
  (SELECT count(*) FROM pods p WHERE p.workload_id = w.id) AS pods,
  w.points, w.last_step,
  (SELECT count(*) FROM runs r WHERE r.workload_id = w.id AND coalesce(r.state, 'running') = 'running') AS active_runs,
  (SELECT s.last_value FROM series s WHERE s.metric_id = (
      SELECT m.id FROM metric_names m WHERE m.workload_id = w.id AND right(m.name, 4) = 'loss'
      ORDER BY m.name <> 'loss', m.name COLLATE "C" LIMIT 1)
    AND s.count > 0 ORDER BY s.last_time DESC, s.last_step DESC LIMIT 1) AS last_loss,
  (SELECT n.namespace FROM workload_namespaces n WHERE n.uid = w.uid) AS namespace`;

const FROM = 'FROM workloads w LEFT JOIN workload_detection d ON d.workload_id = w.id';
const FILTER = `($1::text IS NULL OR strpos(lower(w.uid), lower($1)) > 0)
  AND ($2::text IS NULL OR d.framework = $2) AND ($3::text IS NULL OR d.status = $3)
  AND ($4::text[] IS NULL OR w.uid IN (SELECT n.uid FROM workload_namespaces n WHERE n.namespace = ANY($4::text[])))
  AND ($5::int IS NULL OR ${workloadSeveritySql('w.id', '$6::float8')} = $5)`;

type DbRow = WorkloadRow & { id: number };

export class PgWorkloadQueries {
  constructor(private readonly pool: pg.Pool) {}

  async listWorkloads(f: WorkloadFilter): Promise<{ total: number; workloads: WorkloadRow[] }> {
    const health = healthParams(f);
    const params = [
      f.q || null,
      f.framework || null,
      f.status || null,
      f.namespaces === undefined ? null : [...f.namespaces],
      health.health_rank,
      health.now,
    ];
    const [count] = await query<{ n: number }>(this.pool, `SELECT count(*) AS n ${FROM} WHERE ${FILTER}`, params);
    const rows = await query<DbRow>(
      this.pool,
      `SELECT ${ROW_COLUMNS} ${FROM} WHERE ${FILTER} ORDER BY w.last_seen DESC, w.uid COLLATE "C" LIMIT $7 OFFSET $8`,
      [...params, f.limit, f.offset],
    );
    return { total: count?.n ?? 0, workloads: rows.map(strip) };
  }

  async getWorkload(uid: string): Promise<WorkloadDetail | null> {
    const [r] = await query<DbRow & { merged: string | null; metrics: number }>(
      this.pool,
      `SELECT ${ROW_COLUMNS}, d.merged, (SELECT count(*) FROM metric_names m WHERE m.workload_id = w.id) AS metrics
       ${FROM} WHERE w.uid = $1`,
      [uid],
    );
    if (r === undefined) return null;
    const { merged, metrics, ...row } = r;
    return { ...strip(row), detection: merged === null ? null : JSON.parse(merged), metrics };
  }

  async listRuns(uid: string): Promise<RunRow[]> {
    const rows = await query<Record<string, unknown>>(
      this.pool,
      `SELECT r.* FROM runs r JOIN workloads w ON w.id = r.workload_id WHERE w.uid = $1
       ORDER BY r.first_seen, r.run_id COLLATE "C", r.rank`,
      [uid],
    );
    return rows.map(runRecord);
  }

  /** Folds the series of each name: count summed, finite min/max, last = latest in wall time. */
  async listMetricNames(uid: string): Promise<MetricSummary[]> {
    const rows = await query<SeriesSummaryRow>(
      this.pool,
      `SELECT m.name, s.count, s.last_value, s.last_step, s.last_time, s.fmin, s.fmax
       FROM workloads w JOIN metric_names m ON m.workload_id = w.id JOIN series s ON s.metric_id = m.id
       WHERE w.uid = $1 AND s.count > 0 ORDER BY m.name COLLATE "C"`,
      [uid],
    );
    return foldMetricSummaries(rows);
  }
}

function strip(r: DbRow): WorkloadRow {
  const { id: _id, ...row } = r;
  return row;
}
