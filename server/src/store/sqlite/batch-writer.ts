// The body of a group commit: writes many MetricBatch/RunUpsert items inside the one
// transaction the caller opened. Interned ids (workload, metric name, series) are cached
// because only this process writes the file; the cache is dropped whenever a transaction
// rolls back or retention deletes rows, so it never points at a row that does not exist.
import type Database from 'better-sqlite3';
import { runColumns } from '../row-records.js';
import type { Identity, MetricBatch, PointInput, RunUpsert } from '../types.js';
import { type SeriesPointInput, SeriesWriter } from './series-writer.js';

/** A run to upsert; set when several batches were merged into one: the earliest receive time. */
export type RunFields = RunUpsert & { first_received_at?: number };

export class BatchWriter {
  readonly series: SeriesWriter;
  private readonly ids = new Map<string, number>();
  private readonly upsertWorkload;
  private readonly bumpWorkload;
  private readonly upsertPod;
  private readonly upsertRunRow;
  private readonly bumpRun;
  private readonly insertMetric;
  private readonly selectMetric;
  private readonly insertSeries;
  private readonly selectSeries;

  constructor(db: Database.Database) {
    this.series = new SeriesWriter(db);
    this.upsertWorkload = db
      .prepare(`INSERT INTO workloads (uid, first_seen, last_seen) VALUES (?, ?, ?)
        ON CONFLICT (uid) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
          first_seen = min(first_seen, excluded.first_seen) RETURNING id`)
      .pluck();
    this.bumpWorkload = db.prepare(`UPDATE workloads SET points = points + ?,
      last_step = CASE WHEN last_step IS NULL OR last_step < ? THEN ? ELSE last_step END WHERE id = ?`);
    this.upsertPod =
      db.prepare(`INSERT INTO pods (workload_id, pod_key, pod_uid, pod_name, namespace, host, first_seen, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workload_id, pod_key) DO UPDATE SET
        pod_uid = coalesce(excluded.pod_uid, pod_uid), pod_name = coalesce(excluded.pod_name, pod_name),
        namespace = coalesce(excluded.namespace, namespace), host = coalesce(excluded.host, host),
        last_seen = max(last_seen, excluded.last_seen)`);
    this.upsertRunRow = db
      .prepare(`INSERT INTO runs (workload_id, run_id, rank, project, name, config, local_rank, node_rank, world_size,
          host, pod_name, pid, state, exit_code, started_at, finished_at, first_seen, last_seen)
        VALUES (@wid, @run_id, @rank, @project, @name, @config, @local_rank, @node_rank, @world_size,
          @host, @pod_name, @pid, coalesce(@state, 'running'), @exit_code, @started_at, @finished_at, @first_seen, @seen)
        ON CONFLICT (workload_id, run_id, rank) DO UPDATE SET
          project = coalesce(excluded.project, project), name = coalesce(excluded.name, name),
          config = coalesce(excluded.config, config), local_rank = coalesce(excluded.local_rank, local_rank),
          node_rank = coalesce(excluded.node_rank, node_rank), world_size = coalesce(excluded.world_size, world_size),
          host = coalesce(excluded.host, host), pod_name = coalesce(excluded.pod_name, pod_name),
          pid = coalesce(excluded.pid, pid),
          state = coalesce(@state, state),
          exit_code = CASE WHEN @state IS NULL THEN exit_code ELSE @exit_code END,
          finished_at = CASE WHEN @state IS NULL THEN finished_at ELSE @finished_at END,
          started_at = CASE WHEN started_at IS NULL OR excluded.started_at < started_at
            THEN coalesce(excluded.started_at, started_at) ELSE started_at END,
          last_seen = max(last_seen, excluded.last_seen)
        RETURNING id`)
      .pluck();
    this.bumpRun = db.prepare(`UPDATE runs SET points = points + ?,
      last_step = CASE WHEN last_step IS NULL OR last_step < ? THEN ? ELSE last_step END WHERE id = ?`);
    this.insertMetric = db.prepare('INSERT OR IGNORE INTO metric_names (workload_id, name) VALUES (?, ?)');
    this.selectMetric = db.prepare('SELECT id FROM metric_names WHERE workload_id = ? AND name = ?').pluck();
    this.insertSeries = db.prepare('INSERT OR IGNORE INTO series (workload_id, run_pk, metric_id) VALUES (?, ?, ?)');
    this.selectSeries = db.prepare('SELECT id FROM series WHERE run_pk = ? AND metric_id = ?').pluck();
  }

  /** Forget cached ids (after a rollback or a delete). */
  resetCache(): void {
    this.ids.clear();
    this.series.resetCache();
  }

  writeMetrics(b: MetricBatch & { first_received_at?: number }): number {
    const wid = this.touchWorkload(b.workload_uid, b.received_at, b.identity, b.first_received_at);
    const runPk = this.touchRun(wid, b);
    let written = 0;
    let inserted = 0;
    let maxStep: number | null = null;
    for (const [name, points] of groupByName(b.points)) {
      const sid = this.seriesId(wid, runPk, name);
      const r = this.series.write(sid, points);
      written += points.length;
      inserted += r.inserted;
      if (r.maxStep !== null && (maxStep === null || r.maxStep > maxStep)) maxStep = r.maxStep;
    }
    if (maxStep !== null) {
      this.bumpRun.run(inserted, maxStep, maxStep, runPk);
      this.bumpWorkload.run(inserted, maxStep, maxStep, wid);
    }
    return written;
  }

  upsertRun(r: RunFields): void {
    const wid = this.touchWorkload(r.workload_uid, r.received_at, r.identity);
    this.touchRun(wid, r);
  }

  /** Creates the workload row if needed and returns its id. */
  touchWorkload(uid: string, seenAt: number, identity?: Identity, firstSeenAt = seenAt): number {
    const wid = this.upsertWorkload.get(uid, firstSeenAt, seenAt) as number;
    if (identity !== undefined) {
      const podKey = identity.pod_uid || identity.pod_name || identity.host;
      if (podKey) {
        this.upsertPod.run(
          wid,
          podKey,
          identity.pod_uid ?? null,
          identity.pod_name ?? null,
          identity.namespace ?? null,
          identity.host ?? null,
          firstSeenAt,
          seenAt,
        );
      }
    }
    return wid;
  }

  private touchRun(wid: number, r: RunFields): number {
    return this.upsertRunRow.get({
      wid,
      ...runColumns(r),
      first_seen: r.first_received_at ?? r.received_at,
      seen: r.received_at,
    }) as number;
  }

  private seriesId(wid: number, runPk: number, name: string): number {
    const mKey = `m\0${wid}\0${name}`;
    let mid = this.ids.get(mKey);
    if (mid === undefined) {
      this.insertMetric.run(wid, name);
      mid = this.selectMetric.get(wid, name) as number;
      this.ids.set(mKey, mid);
    }
    const sKey = `s\0${runPk}\0${mid}`;
    let sid = this.ids.get(sKey);
    if (sid === undefined) {
      this.insertSeries.run(wid, runPk, mid);
      sid = this.selectSeries.get(runPk, mid) as number;
      this.ids.set(sKey, sid);
    }
    return sid;
  }
}

/** Groups points by metric name; within a name, sorted by step, last occurrence of a step wins. */
function groupByName(points: readonly PointInput[]): Map<string, SeriesPointInput[]> {
  const byName = new Map<string, Map<number, SeriesPointInput>>();
  for (const p of points) {
    let steps = byName.get(p.name);
    if (steps === undefined) {
      steps = new Map();
      byName.set(p.name, steps);
    }
    steps.set(p.step, { step: p.step, value: p.value, wall_time: p.wall_time });
  }
  const out = new Map<string, SeriesPointInput[]>();
  for (const [name, steps] of byName)
    out.set(
      name,
      [...steps.values()].sort((a, b) => a.step - b.step),
    );
  return out;
}
