// Retention for PostgreSQL, in slices of about `pointBudget` points, one transaction each:
// 1. workloads not seen since the cutoff are emptied chunk by chunk, then deleted;
// 2. in the others, points older than the cutoff are deleted, found through the chunks'
//    min_wall index (no scan of points), and the cut chunks rebuilt.
// Each slice first locks the workload rows it touches, in the same uid order ingest uses,
// so it waits for (and is waited on by) ingest of those workloads without deadlocks, and it
// leaves every aggregate exact when it commits. Short transactions are what keep ingest
// flowing: a slice holds its locks for one slice's worth of deletes, never for the sweep.
// The store runs a sweep under pg_try_advisory_lock, so one replica sweeps at a time.
import type pg from 'pg';
import type { RetentionResult } from '../types.js';
import { transactionOn } from './connection.js';
import { CHUNK_STEPS, rebuildChunks, recomputeSeries } from './series-writer.js';
import { numArray } from './sql-arrays.js';

export const POINTS_PER_SLICE = 200_000;
const CHUNKS_PER_QUERY = 512;

export interface RetentionSlice extends RetentionResult {
  done: boolean;
}

interface ChunkRef {
  series_id: number;
  chunk: number;
  workload_id: number;
}

/** One slice, as its own transaction on `client` (the connection holding the sweep's lock). */
export async function retentionSlice(client: pg.PoolClient, cutoff: number, pointBudget = POINTS_PER_SLICE): Promise<RetentionSlice> {
  return transactionOn(client, async (c) => {
    const out: RetentionSlice = { points: 0, workloads: 0, done: false };
    const stale = (await c.query<{ id: number }>(
      `SELECT id FROM workloads WHERE last_seen < $1 ORDER BY uid COLLATE "C" LIMIT 64 FOR UPDATE`, [cutoff])).rows.map((r) => r.id);
    for (const wid of stale) {
      for (;;) {
        const chunks = (await c.query<ChunkRef>(
          `SELECT c.series_id, c.chunk, s.workload_id FROM chunks c JOIN series s ON s.id = c.series_id
           WHERE s.workload_id = $1 LIMIT ${CHUNKS_PER_QUERY}`, [wid])).rows;
        if (chunks.length === 0) break;
        out.points += await deleteInChunks(c, chunks, null);
        if (out.points >= pointBudget) return out;
      }
      const ids = [wid];
      out.points += (await c.query('DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE workload_id = $1)', ids)).rowCount ?? 0;
      for (const table of ['series', 'metric_names', 'runs', 'pods', 'detection_sources', 'workload_detection']) {
        await c.query(`DELETE FROM ${table} WHERE workload_id = $1`, ids);
      }
      await c.query('DELETE FROM workloads WHERE id = $1', ids);
      out.workloads += 1;
    }
    // The old-points pass locks other workloads; a fresh transaction keeps all locks in uid order.
    if (stale.length > 0) return out;

    const old = (await c.query<ChunkRef>(
      `SELECT c.series_id, c.chunk, s.workload_id FROM chunks c JOIN series s ON s.id = c.series_id
       WHERE c.min_wall < $1 ORDER BY c.min_wall LIMIT ${CHUNKS_PER_QUERY}`, [cutoff])).rows;
    if (old.length === 0) {
      out.done = true;
      return out;
    }
    const wids = [...new Set(old.map((r) => r.workload_id))];
    await c.query(`SELECT id FROM workloads WHERE id = ANY($1::bigint[]) ORDER BY uid COLLATE "C" FOR UPDATE`, [numArray(wids)]);
    let taken = 0;
    let deleted = 0;
    while (taken < old.length && deleted < pointBudget) {
      const part = old.slice(taken, taken + 64);
      taken += part.length;
      deleted += await deleteInChunks(c, part, cutoff);
    }
    out.points += deleted;
    return out;
  });
}

/** Deletes the points of these chunks (older than `cutoff`, or all), rebuilds them and the aggregates. */
async function deleteInChunks(c: pg.PoolClient, chunks: readonly ChunkRef[], cutoff: number | null): Promise<number> {
  const sids = chunks.map((r) => r.series_id);
  const ks = chunks.map((r) => r.chunk);
  const res = await c.query(
    `DELETE FROM points p USING unnest($1::bigint[], $2::bigint[]) AS t(sid, c)
     WHERE p.series_id = t.sid AND p.step >= t.c * ${CHUNK_STEPS} AND p.step < (t.c + 1) * ${CHUNK_STEPS}
       AND ($3::float8 IS NULL OR p.wall_time < $3)`,
    [numArray(sids), numArray(ks), cutoff],
  );
  await rebuildChunks(c, sids, ks, true);
  const series = [...new Set(sids)];
  await recomputeSeries(c, series);
  const ids = numArray(series);
  await c.query(`UPDATE runs SET points = (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = runs.id),
    last_step = (SELECT max(last_step) FROM series WHERE run_pk = runs.id)
    WHERE id IN (SELECT run_pk FROM series WHERE id = ANY($1::bigint[]))`, [ids]);
  await c.query(`UPDATE workloads SET points = (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = workloads.id),
    last_step = (SELECT max(last_step) FROM series WHERE workload_id = workloads.id)
    WHERE id IN (SELECT workload_id FROM series WHERE id = ANY($1::bigint[]))`, [ids]);
  return res.rowCount ?? 0;
}
