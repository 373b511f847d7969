// Retention: drop workloads not seen since the cutoff, then points older than the cutoff
// in the workloads that remain. Old points are found through the chunk rollups (min/max
// wall time per chunk), so no full scan of points is needed; cut chunks are rebuilt and
// the series/run/workload aggregates recomputed in the same transaction.
//
// Work is done in slices of about POINTS_PER_SLICE points, one transaction each, so a
// large sweep never blocks the event loop (and ingest) for long; the store yields
// between slices. Every slice leaves the database consistent.
import type Database from 'better-sqlite3';
import type { RetentionResult } from '../types.js';
import type { ChunkRow } from './chunks.js';
import type { SeriesWriter } from './series-writer.js';

export const POINTS_PER_SLICE = 200_000;
const CHUNKS_PER_QUERY = 256;

export interface RetentionSlice extends RetentionResult {
  /** True when nothing older than the cutoff is left. */
  done: boolean;
}

export class Retention {
  private readonly staleWorkloads;
  private readonly chunksOfWorkload;
  private readonly deleteWorkloadSql: Database.Statement[];
  private readonly oldChunks;
  private readonly deleteRange;
  private readonly deleteOldInRange;
  private readonly deleteChunk;
  private readonly seriesOwners;
  private readonly refreshRun;
  private readonly refreshWorkload;

  constructor(
    private readonly db: Database.Database,
    private readonly series: SeriesWriter,
  ) {
    this.staleWorkloads = db.prepare('SELECT id FROM workloads WHERE last_seen < ?').pluck();
    this.chunksOfWorkload = db
      .prepare(`SELECT c.series_id, c.start_step, c.end_step FROM chunks c
      JOIN series s ON s.id = c.series_id WHERE s.workload_id = ? LIMIT ${CHUNKS_PER_QUERY}`)
      .raw();
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
    this.oldChunks = db.prepare(`SELECT * FROM chunks WHERE min_wall < ? LIMIT ${CHUNKS_PER_QUERY}`);
    this.deleteRange = db.prepare('DELETE FROM points WHERE series_id = ? AND step >= ? AND step <= ?');
    this.deleteOldInRange = db.prepare('DELETE FROM points WHERE series_id = ? AND step >= ? AND step <= ? AND wall_time < ?');
    this.deleteChunk = db.prepare('DELETE FROM chunks WHERE series_id = ? AND start_step = ?');
    this.seriesOwners = db.prepare('SELECT run_pk, workload_id FROM series WHERE id = ?').raw();
    this.refreshRun = db.prepare(`UPDATE runs SET
      points = (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = runs.id),
      last_step = (SELECT max(last_step) FROM series WHERE run_pk = runs.id) WHERE id = ?`);
    this.refreshWorkload = db.prepare(`UPDATE workloads SET
      points = (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = workloads.id),
      last_step = (SELECT max(last_step) FROM series WHERE workload_id = workloads.id) WHERE id = ?`);
  }

  /** One transaction's worth of retention work. Call until `done`. */
  slice(cutoff: number, pointBudget = POINTS_PER_SLICE): RetentionSlice {
    return this.db.transaction((): RetentionSlice => {
      const out: RetentionSlice = { points: 0, workloads: 0, done: false };
      if (!this.dropStaleWorkloads(cutoff, pointBudget, out)) return out;
      const touched = new Set<number>();
      let processed = 0;
      for (const c of this.oldChunks.all(cutoff) as ChunkRow[]) {
        processed += 1;
        touched.add(c.series_id);
        if (c.max_wall < cutoff) {
          out.points += this.deleteRange.run(c.series_id, c.start_step, c.end_step).changes;
          this.deleteChunk.run(c.series_id, c.start_step);
        } else {
          // Afterwards the rebuilt chunk's min_wall >= cutoff, so it is not selected again.
          out.points += this.deleteOldInRange.run(c.series_id, c.start_step, c.end_step, cutoff).changes;
          this.series.rebuildChunk(c.series_id, { row: c, storedStart: c.start_step });
        }
        if (out.points >= pointBudget) break;
      }
      this.refreshAggregates(touched);
      out.done = processed === 0;
      return out;
    })();
  }

  /** Deletes stale workloads chunk by chunk; false when the budget ran out first. */
  private dropStaleWorkloads(cutoff: number, pointBudget: number, out: RetentionSlice): boolean {
    for (const wid of this.staleWorkloads.all(cutoff) as number[]) {
      for (;;) {
        const chunks = this.chunksOfWorkload.all(wid) as Array<[number, number, number]>;
        if (chunks.length === 0) break;
        for (const [sid, start, end] of chunks) {
          out.points += this.deleteRange.run(sid, start, end).changes;
          this.deleteChunk.run(sid, start);
        }
        if (out.points >= pointBudget) return false;
      }
      const [leftoverPoints, ...rest] = this.deleteWorkloadSql;
      out.points += leftoverPoints!.run(wid).changes; // points outside any chunk: none expected
      for (const stmt of rest) stmt.run(wid);
      out.workloads += 1;
    }
    return true;
  }

  private refreshAggregates(seriesIds: Set<number>): void {
    const runs = new Set<number>();
    const workloads = new Set<number>();
    for (const sid of seriesIds) {
      this.series.recomputeSeries(sid);
      const [runPk, wid] = this.seriesOwners.get(sid) as [number, number];
      runs.add(runPk);
      workloads.add(wid);
    }
    for (const id of runs) this.refreshRun.run(id);
    for (const id of workloads) this.refreshWorkload.run(id);
  }
}
