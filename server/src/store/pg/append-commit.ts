// The common commit in one statement and one round trip (autocommit, so COMMIT comes with
// it): batches whose ids are all cached and whose points all land past their chunks' last
// steps. On a loaded machine each round trip of the transaction path waits for the event
// loop and the scheduler; this one waits once.
//
// Order inside the statement: the workload rows are locked first, in uid order, as every
// writer of a workload does (FOR NO KEY UPDATE; the transaction path takes the same lock with
// its upsert), so the rest runs serialised with every other writer of those workloads and
// cannot deadlock. Everything after the lock is relative (counts added, min/max, greatest),
// and the chunk upsert works on the latest row version, so a snapshot taken before the lock
// costs nothing.
//
// When a cached workload id no longer exists (retention removed the workload) or a chunk row
// is not a plain append (another replica wrote past these steps), lens_require_append raises
// SQLSTATE LN001: the whole statement rolls back and the caller runs the transaction path,
// which merges and refreshes the ids. Overwrites, backfills and re-deliveries this replica
// can tell from its own tail cache go to the transaction path directly.
import type pg from 'pg';
import type { MetricBatch } from '../types.js';
import type { PgBatchWriter } from './batch-writer.js';
import { addTo, type Counter, type Gathered, gather, seriesFold } from './chunk-groups.js';
import { unavailableOr } from './connection.js';
import { podRows, podUpsert, type RunRow, runRows, runUpsert, workloadTimes } from './identity-rows.js';
import { arrayParam, numArray, Params } from './sql-arrays.js';

export const NOT_AN_APPEND = 'LN001';

/** The gathered points once written, or null when the transaction path must write these batches. */
export async function appendCommit(
  pool: pg.Pool,
  writer: PgBatchWriter,
  items: readonly MetricBatch[],
): Promise<Gathered | null> {
  const ids = writer.cached(items);
  if (ids === null) return null;
  const g = gather(ids.resolved);
  if (!writer.looksLikeAppend(g.series)) return null;

  const seen = items.map((b) => ({ uid: b.workload_uid, seenAt: b.received_at, identity: b.identity }));
  const times = workloadTimes(seen);
  const runs = runRows(items, ids.wids);
  const runOf = new Map<number, RunRow>();
  for (const [i, r] of ids.resolved.entries()) runOf.set(r.runPk, runs.rows.get(runs.keys[i]!)!);
  const wls = new Map<number, Counter>();
  for (const sp of g.series) {
    const o = g.owners.get(sp.sid)!;
    const run = runOf.get(o.run)!;
    run.added += sp.length;
    run.maxStep = Math.max(run.maxStep ?? sp.lastStep, sp.lastStep);
    addTo(wls, o.wid, sp.length, sp.lastStep);
  }
  const uids = [...times.keys()];
  const wl = <T>(f: (uid: string, id: number) => T): T[] => uids.map((u) => f(u, ids.wids.get(u)!));
  const pods = podRows(seen, ids.wids);

  const p = new Params();
  const widList = `${p.add(numArray(wl((_, id) => id)))}::bigint[]`;
  const lockedAll = `(SELECT count(*) FROM lk) = cardinality(${widList})`;
  const sql = `WITH lk AS MATERIALIZED (
      SELECT id FROM workloads WHERE id = ANY(${widList}) ORDER BY uid COLLATE "C" FOR NO KEY UPDATE),
    a AS (${g.groups.appendUpsert(p, 'RETURNING 1', lockedAll)}),
    ${pods.length > 0 ? `p AS (${podUpsert(p, pods)}),` : ''}
    r AS (${runUpsert(p, [...runs.rows.values()], false)}),
    s AS (${seriesFold(p, g.series, (sp) => sp.length)}),
    w AS (UPDATE workloads t SET first_seen = least(t.first_seen, u.first), last_seen = greatest(t.last_seen, u.last),
        points = t.points + u.added, last_step = greatest(t.last_step, u.max_step)
      FROM unnest(${widList}, ${p.add(
        arrayParam(
          'float8',
          wl((u) => times.get(u)!.first),
        ),
      )}::float8[],
        ${p.add(
          arrayParam(
            'float8',
            wl((u) => times.get(u)!.last),
          ),
        )}::float8[],
        ${p.add(
          arrayParam(
            'int8',
            wl((_, id) => wls.get(id)?.added ?? 0),
          ),
        )}::bigint[],
        ${p.add(
          arrayParam(
            'int8',
            wl((_, id) => wls.get(id)?.maxStep ?? null),
          ),
        )}::bigint[]) AS u(id, first, last, added, max_step)
      WHERE t.id = u.id)
    SELECT lens_require_append(${lockedAll} AND (SELECT count(*) FROM a) = ${p.add(g.groups.count)})`;
  try {
    await pool.query(sql, p.values);
  } catch (err) {
    if ((err as { code?: unknown }).code === NOT_AN_APPEND) return null;
    throw unavailableOr(err);
  }
  return g;
}
