// Writes the points of a group commit into series_chunks inside the caller's transaction,
// which holds the workload row locks, so no other transaction writes these series meanwhile.
// This is the general path (the one-statement commit in append-commit.ts covers plain
// appends); its statements see everything committed before the lock was taken.
// 1. One upsert of every touched chunk row: a new row, or an append where every new step is
//    past the row's last step. A conflicting row it did not write stays locked.
// 2. Those other chunks (overwrite, backfill, re-delivery) are merged inside the database,
//    which says per chunk how many points were new and whether a stored one changed.
// 3. Series summaries folded when nothing stored changed, recomputed from the chunk rows
//    when something did; then run and workload counters.
import type pg from 'pg';
import type { ResolvedBatch } from './batch-writer.js';
import { addTo, type Counter, counterAdd, type Gathered, gather, seriesFold } from './chunk-groups.js';
import { arrayParam, Params } from './sql-arrays.js';

/** Returns `written` per batch (its distinct (name, step) pairs) and the gathered points. */
export async function writePoints(c: pg.PoolClient, resolved: readonly ResolvedBatch[]): Promise<Gathered> {
  const g = gather(resolved);
  const { groups } = g;
  if (groups.count === 0) return g;
  const p = new Params();
  const rows = await c.query<{ series_id: number; chunk: number }>(
    groups.appendUpsert(p, 'RETURNING c.series_id, c.chunk'),
    p.values,
  );
  const added = new Map<number, number>();
  const dirty = new Set<number>();
  const count = (sid: number, n: number): void => void added.set(sid, (added.get(sid) ?? 0) + n);
  if ((rows.rowCount ?? 0) === groups.count) {
    for (const sp of g.series) added.set(sp.sid, sp.length);
  } else {
    const applied = new Set(rows.rows.map((r) => `${r.series_id}:${r.chunk}`));
    const isApplied = (i: number): boolean => applied.has(`${groups.sid[i]}:${groups.ch[i]}`);
    for (let i = 0; i < groups.count; i++) if (isApplied(i)) count(groups.sid[i]!, groups.size(i));
    const m = new Params();
    const merged = await c.query<{ sid: number; added: number; changed: boolean }>(
      groups.mergeUpdate(m, (i) => !isApplied(i)),
      m.values,
    );
    for (const r of merged.rows) {
      count(r.sid, r.added);
      if (r.changed) dirty.add(r.sid);
    }
  }

  // Points re-delivered unchanged are folded too, which is harmless: they are already inside
  // min/max and never past last_step.
  const clean = g.series.filter((sp) => !dirty.has(sp.sid) && (added.get(sp.sid) ?? 0) > 0);
  const runs = new Map<number, Counter>();
  const wls = new Map<number, Counter>();
  for (const sp of g.series) {
    const n = added.get(sp.sid) ?? 0;
    if (n === 0 && !dirty.has(sp.sid)) continue;
    const o = g.owners.get(sp.sid)!;
    addTo(runs, o.run, n, sp.lastStep);
    addTo(wls, o.wid, n, sp.lastStep);
  }
  if (runs.size === 0) return g;
  // One statement; under the workload locks the order its parts lock rows in cannot deadlock.
  const q = new Params();
  await c.query(
    `WITH s AS (${seriesFold(q, clean, (sp) => added.get(sp.sid)!)}),
    r AS (${counterAdd(q, 'runs', runs)}), w AS (${counterAdd(q, 'workloads', wls)})
    SELECT lens_series_recompute(${q.add(arrayParam('int8', [...dirty]))}::bigint[])`,
    q.values,
  );
  return g;
}
