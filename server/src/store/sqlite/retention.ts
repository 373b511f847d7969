// Retention: drop workloads not seen since the cutoff, then points older than the cutoff
// in the workloads that remain. Old points are found through the chunk rollups (min/max
// wall time per chunk), so no full scan of points is needed; cut chunks are rebuilt and
// the series/run/workload aggregates recomputed in the same transaction.
import type Database from 'better-sqlite3';
import type { RetentionResult } from '../types.js';
import type { ChunkRow } from './chunks.js';
import type { SeriesWriter } from './series-writer.js';

export class Retention {
  private readonly staleWorkloads;
  private readonly pointsOfWorkload;
  private readonly deleteWorkloadSql: Database.Statement[];
  private readonly oldChunks;
  private readonly deleteRange;
  private readonly deleteOldInRange;
  private readonly deleteChunk;
  private readonly seriesOwners;
  private readonly refreshRun;
  private readonly refreshWorkload;

  constructor(private readonly db: Database.Database, private readonly series: SeriesWriter) {
    this.staleWorkloads = db.prepare('SELECT id FROM workloads WHERE last_seen < ?').pluck();
    this.pointsOfWorkload = db.prepare('SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = ?').pluck();
    this.deleteWorkloadSql = [
      'DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE workload_id = ?)',
      'DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE workload_id = ?)',
      'DELETE FROM series WHERE workload_id = ?',
      'DELETE FROM metric_names WHERE workload_id = ?',
      'DELETE FROM runs WHERE workload_id = ?',
      'DELETE FROM pods WHERE workload_id = ?',
      'DELETE FROM detection_sources WHERE workload_id = ?',
      'DELETE FROM workload_detection WHERE workload_id = ?',
      'DELETE FROM workloads WHERE id = ?',
    ].map((sql) => db.prepare(sql));
    this.oldChunks = db.prepare('SELECT * FROM chunks WHERE min_wall < ?');
    this.deleteRange = db.prepare('DELETE FROM points WHERE series_id = ? AND step >= ? AND step <= ?');
    this.deleteOldInRange = db.prepare(
      'DELETE FROM points WHERE series_id = ? AND step >= ? AND step <= ? AND wall_time < ?',
    );
    this.deleteChunk = db.prepare('DELETE FROM chunks WHERE series_id = ? AND start_step = ?');
    this.seriesOwners = db.prepare('SELECT run_pk, workload_id FROM series WHERE id = ?').raw();
    this.refreshRun = db.prepare(`UPDATE runs SET
      points = (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = runs.id),
      last_step = (SELECT max(last_step) FROM series WHERE run_pk = runs.id) WHERE id = ?`);
    this.refreshWorkload = db.prepare(`UPDATE workloads SET
      points = (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = workloads.id),
      last_step = (SELECT max(last_step) FROM series WHERE workload_id = workloads.id) WHERE id = ?`);
  }

  deleteOlderThan(cutoff: number): RetentionResult {
    return this.db.transaction((): RetentionResult => {
      let points = 0;
      const stale = this.staleWorkloads.all(cutoff) as number[];
      for (const wid of stale) {
        points += this.pointsOfWorkload.get(wid) as number;
        for (const stmt of this.deleteWorkloadSql) stmt.run(wid);
      }

      const touchedSeries = new Set<number>();
      for (const c of this.oldChunks.all(cutoff) as ChunkRow[]) {
        touchedSeries.add(c.series_id);
        if (c.max_wall < cutoff) {
          points += this.deleteRange.run(c.series_id, c.start_step, c.end_step).changes;
          this.deleteChunk.run(c.series_id, c.start_step);
        } else {
          points += this.deleteOldInRange.run(c.series_id, c.start_step, c.end_step, cutoff).changes;
          this.series.rebuildChunk(c.series_id, { row: c, storedStart: c.start_step });
        }
      }
      const runs = new Set<number>();
      const workloads = new Set<number>();
      for (const sid of touchedSeries) {
        this.series.recomputeSeries(sid);
        const [runPk, wid] = this.seriesOwners.get(sid) as [number, number];
        runs.add(runPk);
        workloads.add(wid);
      }
      for (const id of runs) this.refreshRun.run(id);
      for (const id of workloads) this.refreshWorkload.run(id);
      return { points, workloads: stale.length };
    })();
  }
}
