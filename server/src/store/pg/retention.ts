// Retention for PostgreSQL, in slices of about `pointBudget` points, one transaction each:
// 1. workloads not seen since the cutoff are emptied chunk by chunk, then deleted;
// 2. in the others, points older than the cutoff are deleted, found through the chunk rows'
//    min_wall index (no scan of points): a chunk row wholly older is deleted, a row the
//    cutoff cuts keeps its newer points and gets its rollup recomputed.
// Each slice first locks the workload rows it touches, in the same uid order ingest uses,
// so it waits for (and is waited on by) ingest of those workloads without deadlocks, and it
// leaves every aggregate exact when it commits. Short transactions are what keep ingest
// flowing: a slice holds its locks for one slice's worth of deletes, never for the sweep.
// The store runs a sweep under pg_try_advisory_lock, so one replica sweeps at a time.
import type pg from 'pg';
import type { RetentionResult } from '../types.js';
import { ROLLUP_COLUMNS } from './chunk-layout-sql.js';
import { transactionOn } from './connection.js';
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
export async function retentionSlice(
  client: pg.PoolClient,
  cutoff: number,
  pointBudget = POINTS_PER_SLICE,
): Promise<RetentionSlice> {
  return transactionOn(client, async (c) => {
    const out: RetentionSlice = { points: 0, workloads: 0, done: false };
    const stale = (
      await c.query<{ id: number }>(
        `SELECT id FROM workloads WHERE last_seen < $1 ORDER BY uid COLLATE "C" LIMIT 64 FOR UPDATE`,
        [cutoff],
      )
    ).rows.map((r) => r.id);
    for (const wid of stale) {
      for (;;) {
        const chunks = (
          await c.query<ChunkRef>(
            `SELECT c.series_id, c.chunk, s.workload_id FROM series_chunks c JOIN series s ON s.id = c.series_id
           WHERE s.workload_id = $1 LIMIT ${CHUNKS_PER_QUERY}`,
            [wid],
          )
        ).rows;
        if (chunks.length === 0) break;
        out.points += await deleteInChunks(c, chunks, null);
        if (out.points >= pointBudget) return out;
      }
      const ids = [wid];
      for (const table of ['series', 'metric_names', 'runs', 'pods', 'detection_sources', 'workload_detection']) {
        await c.query(`DELETE FROM ${table} WHERE workload_id = $1`, ids);
      }
      await c.query('DELETE FROM workloads WHERE id = $1', ids);
      out.workloads += 1;
    }
    // The old-points pass locks other workloads; a fresh transaction keeps all locks in uid order.
    if (stale.length > 0) return out;

    const old = (
      await c.query<ChunkRef>(
        `SELECT c.series_id, c.chunk, s.workload_id FROM series_chunks c JOIN series s ON s.id = c.series_id
       WHERE c.min_wall < $1 ORDER BY c.min_wall LIMIT ${CHUNKS_PER_QUERY}`,
        [cutoff],
      )
    ).rows;
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
  // Rows wholly older (or all, without a cutoff) go; a row the cutoff cuts keeps its newer
  // points. The sub-statements touch disjoint rows, as one statement must.
  const [res] = (
    await c.query<{ deleted: number }>(
      `WITH t AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS t(sid, ch)),
     d AS (DELETE FROM series_chunks c USING t WHERE c.series_id = t.sid AND c.chunk = t.ch
             AND ($3::float8 IS NULL OR c.max_wall < $3) RETURNING c.n),
     k AS (SELECT c.series_id, c.chunk, c.n, f.* FROM series_chunks c JOIN t ON c.series_id = t.sid AND c.chunk = t.ch
             CROSS JOIN LATERAL (SELECT array_agg(p.ps ORDER BY p.ps) AS s, array_agg(p.pv ORDER BY p.ps) AS v,
               array_agg(p.pw ORDER BY p.ps) AS w FROM unnest(c.steps, c.vals, c.walls) AS p(ps, pv, pw) WHERE p.pw >= $3) f
           WHERE c.max_wall >= $3 AND c.min_wall < $3),
     e AS (DELETE FROM series_chunks c USING k WHERE c.series_id = k.series_id AND c.chunk = k.chunk AND k.s IS NULL RETURNING k.n),
     u AS (UPDATE series_chunks c SET (${ROLLUP_COLUMNS}) = (SELECT * FROM lens_chunk_rollup(k.s, k.v, k.w)),
             steps = k.s, vals = k.v, walls = k.w
           FROM k WHERE c.series_id = k.series_id AND c.chunk = k.chunk AND k.s IS NOT NULL RETURNING k.n - cardinality(k.s) AS gone)
     SELECT (coalesce((SELECT sum(n) FROM d), 0) + coalesce((SELECT sum(n) FROM e), 0)
       + coalesce((SELECT sum(gone) FROM u), 0))::bigint AS deleted`,
      [numArray(sids), numArray(ks), cutoff],
    )
  ).rows;
  const series = [...new Set(sids)];
  const ids = numArray(series);
  await c.query('SELECT lens_series_recompute($1::bigint[])', [ids]);
  await c.query(
    `UPDATE runs SET points = (SELECT coalesce(sum(count), 0) FROM series WHERE run_pk = runs.id),
    last_step = (SELECT max(last_step) FROM series WHERE run_pk = runs.id)
    WHERE id IN (SELECT run_pk FROM series WHERE id = ANY($1::bigint[]))`,
    [ids],
  );
  await c.query(
    `UPDATE workloads SET points = (SELECT coalesce(sum(count), 0) FROM series WHERE workload_id = workloads.id),
    last_step = (SELECT max(last_step) FROM series WHERE workload_id = workloads.id)
    WHERE id IN (SELECT workload_id FROM series WHERE id = ANY($1::bigint[]))`,
    [ids],
  );
  return res?.deleted ?? 0;
}
