// Read side for the list/summary endpoints. Every query here reads interned rows and the
// per-series/per-run aggregates the writer maintains, so cost grows with the number of
// series and runs, never with the number of points.
import type Database from 'better-sqlite3';
import { healthParams, workloadSeveritySql } from '../health-sql.js';
import { foldMetricSummaries, runRecord, type SeriesSummaryRow } from '../row-records.js';
import type { MetricSummary, RunRow, WorkloadDetail, WorkloadFilter, WorkloadRow } from '../types.js';
import { fromStoredValue } from './chunks.js';

const ROW_COLUMNS = `w.id AS id, w.uid AS workload_uid, d.framework, d.wrapper_framework, d.base_framework, d.confidence,
  d.status, w.first_seen, w.last_seen,
  (SELECT count(*) FROM runs r WHERE r.workload_id = w.id) AS runs,
  (SELECT count(*) FROM pods p WHERE p.workload_id = w.id) AS pods,
  w.points, w.last_step,
  (SELECT count(*) FROM runs r WHERE r.workload_id = w.id AND r.state = 'running') AS active_runs,
  (SELECT n.namespace FROM workload_namespaces n WHERE n.uid = w.uid) AS namespace`;

const FILTER = `(@q IS NULL OR instr(lower(w.uid), lower(@q)) > 0)
  AND (@framework IS NULL OR d.framework = @framework) AND (@status IS NULL OR d.status = @status)
  AND (@namespaces IS NULL OR w.uid IN (SELECT n.uid FROM workload_namespaces n
    WHERE n.namespace IN (SELECT value FROM json_each(@namespaces))))
  AND (@health_rank IS NULL OR ${workloadSeveritySql('w.id', '@now')} = @health_rank)`;

type DbRow = Omit<WorkloadRow, 'last_loss'> & { id: number };

export class WorkloadQueries {
  private readonly list;
  private readonly count;
  private readonly one;
  private readonly lossMetric;
  private readonly lastOfMetric;
  private readonly detection;
  private readonly metricCount;
  private readonly runs;
  private readonly metricSeries;

  constructor(db: Database.Database) {
    const from = 'FROM workloads w LEFT JOIN workload_detection d ON d.workload_id = w.id';
    this.list = db.prepare(
      `SELECT ${ROW_COLUMNS} ${from} WHERE ${FILTER} ORDER BY w.last_seen DESC, w.uid LIMIT @limit OFFSET @offset`,
    );
    this.count = db.prepare(`SELECT count(*) ${from} WHERE ${FILTER}`).pluck();
    this.one = db.prepare(`SELECT ${ROW_COLUMNS} ${from} WHERE w.uid = ?`);
    // "loss" itself if present, else the first name (alphabetically) ending in "loss".
    this.lossMetric = db
      .prepare(`SELECT id FROM metric_names WHERE workload_id = ? AND substr(name, -4) = 'loss'
        ORDER BY name <> 'loss', name LIMIT 1`)
      .pluck();
    this.lastOfMetric = db
      .prepare(`SELECT last_value FROM series WHERE metric_id = ? AND count > 0
        ORDER BY last_time DESC, last_step DESC LIMIT 1`)
      .raw();
    this.detection = db.prepare('SELECT merged FROM workload_detection WHERE workload_id = ?').pluck();
    this.metricCount = db.prepare('SELECT count(*) FROM metric_names WHERE workload_id = ?').pluck();
    this.runs = db.prepare(`SELECT r.* FROM runs r JOIN workloads w ON w.id = r.workload_id WHERE w.uid = ?
      ORDER BY r.first_seen, r.run_id, r.rank`);
    this.metricSeries = db.prepare(`SELECT m.name, s.count, s.last_value, s.last_step, s.last_time, s.fmin, s.fmax
        FROM workloads w JOIN metric_names m ON m.workload_id = w.id JOIN series s ON s.metric_id = m.id
        WHERE w.uid = ? AND s.count > 0 ORDER BY m.name`);
  }

  listWorkloads(f: WorkloadFilter): { total: number; workloads: WorkloadRow[] } {
    const params = {
      q: f.q || null,
      framework: f.framework || null,
      status: f.status || null,
      namespaces: f.namespaces === undefined ? null : JSON.stringify(f.namespaces),
      ...healthParams(f),
    };
    const total = this.count.get(params) as number;
    const rows = this.list.all({ ...params, limit: f.limit, offset: f.offset }) as DbRow[];
    return { total, workloads: rows.map((r) => this.finishRow(r)) };
  }

  getWorkload(uid: string): WorkloadDetail | null {
    const r = this.one.get(uid) as DbRow | undefined;
    if (r === undefined) return null;
    const merged = this.detection.get(r.id) as string | undefined;
    return {
      ...this.finishRow(r),
      detection: merged === undefined || merged === null ? null : JSON.parse(merged),
      metrics: this.metricCount.get(r.id) as number,
    };
  }

  listRuns(uid: string): RunRow[] {
    const rows = this.runs.all(uid) as Array<Record<string, unknown>>;
    return rows.map(runRecord);
  }

  /** Folds the series of each name: count summed, finite min/max, last = latest in wall time. */
  listMetricNames(uid: string): MetricSummary[] {
    const rows = this.metricSeries.all(uid) as SeriesSummaryRow[];
    return foldMetricSummaries(rows.map((r) => ({ ...r, last_value: fromStoredValue(r.last_value) })));
  }

  private finishRow(r: DbRow): WorkloadRow {
    const { id, ...row } = r;
    let lastLoss: number | null = null;
    const metricId = this.lossMetric.get(id) as number | undefined;
    if (metricId !== undefined) {
      const hit = this.lastOfMetric.get(metricId) as [number | null] | undefined;
      if (hit !== undefined) lastLoss = fromStoredValue(hit[0]);
    }
    return { ...row, last_loss: lastLoss };
  }
}
