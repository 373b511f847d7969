// Writes the points of a group commit and keeps chunk rollups and aggregates exact, in the
// caller's transaction, with a fixed number of statements however many batches it holds:
// 1. one multi-row upsert of the points (last write wins; an identical re-delivery changes
//    nothing and is not even returned), which reports per touched chunk what changed;
// 2. those chunks are rebuilt from their points (at most 256 each, read from the covering
//    primary key);
// 3. series summaries: folded incrementally when only new points arrived, recomputed from
//    the chunks when a stored point changed;
// 4. run and workload counters.
// The caller holds the workload row locks, so no other transaction writes these series.
import type pg from 'pg';
import type { ResolvedBatch } from './batch-writer.js';
import { numArray } from './sql-arrays.js';

export const CHUNK_SHIFT = 8;
export const CHUNK_STEPS = 2 ** CHUNK_SHIFT;
/** Rows per points statement; bounds one statement's parameter size and memory. */
const ROWS_PER_STATEMENT = 20_000;

interface Pt {
  sid: number;
  step: number;
  value: number;
  wall: number;
}

/** Fold of every point written to one series in this commit (finite min/max, latest step). */
interface SeriesFold {
  fmin: number | null;
  fmax: number | null;
  last: Pt;
}

export const CHUNK_COLUMNS = `start_step, end_step, count, fmin, fmin_step, fmax, fmax_step, nan_step, pinf_step, ninf_step,
  min_wall, max_wall`;

/**
 * Rebuilds chunks (sids[i], chunks[i]) from their points. Only deletes can leave a chunk
 * empty, so only retention asks for empty ones to be dropped; ingest saves the statement.
 */
export async function rebuildChunks(c: pg.PoolClient, sids: number[], chunks: number[], dropEmpty = false): Promise<void> {
  if (sids.length === 0) return;
  const params = [numArray(sids), numArray(chunks)];
  await c.query(
    `INSERT INTO chunks (series_id, chunk, ${CHUNK_COLUMNS})
     SELECT t.sid, t.c, a.* FROM unnest($1::bigint[], $2::bigint[]) AS t(sid, c)
     CROSS JOIN LATERAL (
       SELECT min(step), max(step), count(*)::int,
         min(value) FILTER (WHERE fin), (array_agg(step ORDER BY value, step) FILTER (WHERE fin))[1],
         max(value) FILTER (WHERE fin), (array_agg(step ORDER BY value DESC, step) FILTER (WHERE fin))[1],
         min(step) FILTER (WHERE value = 'NaN'), min(step) FILTER (WHERE value = 'Infinity'),
         min(step) FILTER (WHERE value = '-Infinity'), min(wall_time), max(wall_time)
       FROM (SELECT step, value, wall_time, value NOT IN ('NaN', 'Infinity', '-Infinity') AS fin FROM points
             WHERE series_id = t.sid AND step >= t.c * ${CHUNK_STEPS} AND step < (t.c + 1) * ${CHUNK_STEPS}) p
       HAVING count(*) > 0) a
     ON CONFLICT (series_id, chunk) DO UPDATE SET start_step = excluded.start_step, end_step = excluded.end_step,
       count = excluded.count, fmin = excluded.fmin, fmin_step = excluded.fmin_step, fmax = excluded.fmax,
       fmax_step = excluded.fmax_step, nan_step = excluded.nan_step, pinf_step = excluded.pinf_step,
       ninf_step = excluded.ninf_step, min_wall = excluded.min_wall, max_wall = excluded.max_wall`,
    params,
  );
  if (!dropEmpty) return;
  await c.query(
    `DELETE FROM chunks ch USING unnest($1::bigint[], $2::bigint[]) AS t(sid, c)
     WHERE ch.series_id = t.sid AND ch.chunk = t.c
       AND NOT EXISTS (SELECT 1 FROM points p WHERE p.series_id = t.sid
         AND p.step >= t.c * ${CHUNK_STEPS} AND p.step < (t.c + 1) * ${CHUNK_STEPS})`,
    params,
  );
}

/** Recomputes series summaries from their chunks (O(chunks)); empty series are zeroed. */
export async function recomputeSeries(c: pg.PoolClient, sids: number[]): Promise<void> {
  if (sids.length === 0) return;
  const ids = numArray(sids);
  await c.query(
    `UPDATE series s SET count = a.n, fmin = a.fmin, fmax = a.fmax, last_step = a.last_step,
       last_value = p.value, last_time = p.wall_time
     FROM (SELECT series_id, sum(count)::bigint AS n, min(fmin) AS fmin, max(fmax) AS fmax, max(end_step) AS last_step
           FROM chunks WHERE series_id = ANY($1::bigint[]) GROUP BY series_id) a
     JOIN points p ON p.series_id = a.series_id AND p.step = a.last_step
     WHERE s.id = a.series_id`,
    [ids],
  );
  await c.query(
    `UPDATE series SET count = 0, last_step = NULL, last_value = NULL, last_time = NULL, fmin = NULL, fmax = NULL
     WHERE id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM chunks WHERE series_id = series.id)`,
    [ids],
  );
}

/** Returns `written` per batch: its distinct (name, step) pairs. */
export async function writePoints(c: pg.PoolClient, resolved: readonly ResolvedBatch[]): Promise<number[]> {
  // Later batches win over earlier ones and, within a batch, later points over earlier ones;
  // PostgreSQL refuses one statement that updates a row twice, so duplicates go here.
  const byKey = new Map<string, Pt>();
  const written = resolved.map((r) => {
    const own = new Set<string>();
    for (const p of r.batch.points) {
      const sid = r.series.get(p.name)!;
      const key = `${sid}:${p.step}`;
      own.add(key);
      byKey.set(key, { sid, step: p.step, value: p.value, wall: p.wall_time });
    }
    return own.size;
  });
  if (byKey.size === 0) return written;
  const all = [...byKey.values()].sort((a, b) => a.sid - b.sid || a.step - b.step);

  const folds = new Map<number, SeriesFold>();
  for (const p of all) {
    let f = folds.get(p.sid);
    if (f === undefined) folds.set(p.sid, (f = { fmin: null, fmax: null, last: p }));
    if (Number.isFinite(p.value)) {
      if (f.fmin === null || p.value < f.fmin) f.fmin = p.value;
      if (f.fmax === null || p.value > f.fmax) f.fmax = p.value;
    }
    if (p.step > f.last.step) f.last = p;
  }

  const changed = new Map<number, { ins: number; upd: number; maxStep: number; chunks: number[] }>();
  for (let i = 0; i < all.length; i += ROWS_PER_STATEMENT) {
    const part = all.slice(i, i + ROWS_PER_STATEMENT);
    const rows = await c.query<{ series_id: number; chunk: number; ins: number; upd: number; max_step: number }>(
      `WITH up AS (
         INSERT INTO points (series_id, step, value, wall_time)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[])
         ON CONFLICT (series_id, step) DO UPDATE SET value = excluded.value, wall_time = excluded.wall_time
           WHERE (points.value, points.wall_time) IS DISTINCT FROM (excluded.value, excluded.wall_time)
         RETURNING series_id, step, (xmax = 0) AS inserted)
       SELECT series_id, step >> ${CHUNK_SHIFT} AS chunk, count(*) FILTER (WHERE inserted) AS ins,
         count(*) FILTER (WHERE NOT inserted) AS upd, max(step) AS max_step
       FROM up GROUP BY 1, 2`,
      [numArray(part.map((p) => p.sid)), numArray(part.map((p) => p.step)), numArray(part.map((p) => p.value)), numArray(part.map((p) => p.wall))],
    );
    for (const r of rows.rows) {
      const ch = changed.get(r.series_id);
      if (ch === undefined) changed.set(r.series_id, { ins: r.ins, upd: r.upd, maxStep: r.max_step, chunks: [r.chunk] });
      else {
        ch.ins += r.ins;
        ch.upd += r.upd;
        ch.maxStep = Math.max(ch.maxStep, r.max_step);
        ch.chunks.push(r.chunk);
      }
    }
  }
  if (changed.size === 0) return written;

  const cs: number[] = [];
  const cc: number[] = [];
  for (const [sid, ch] of changed) for (const k of ch.chunks) (cs.push(sid), cc.push(k));
  await rebuildChunks(c, cs, cc);

  const dirty = [...changed].filter(([, ch]) => ch.upd > 0).map(([sid]) => sid);
  const clean = [...changed].filter(([, ch]) => ch.upd === 0);
  await recomputeSeries(c, dirty);
  if (clean.length > 0) {
    // Only new points: fold them in. Re-delivered identical points are folded too, which is
    // harmless: they are already inside min/max, and never past last_step.
    const f = clean.map(([sid, ch]) => ({ sid, ins: ch.ins, fold: folds.get(sid)! }));
    await c.query(
      `UPDATE series s SET count = s.count + u.ins, fmin = least(s.fmin, u.fmin), fmax = greatest(s.fmax, u.fmax),
         last_value = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_value ELSE s.last_value END,
         last_time = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_time ELSE s.last_time END,
         last_step = greatest(s.last_step, u.last_step)
       FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[], $5::bigint[], $6::float8[], $7::float8[])
         AS u(id, ins, fmin, fmax, last_step, last_value, last_time)
       WHERE s.id = u.id`,
      [numArray(f.map((x) => x.sid)), numArray(f.map((x) => x.ins)), numArray(f.map((x) => x.fold.fmin)),
        numArray(f.map((x) => x.fold.fmax)), numArray(f.map((x) => x.fold.last.step)), numArray(f.map((x) => x.fold.last.value)),
        numArray(f.map((x) => x.fold.last.wall))],
    );
  }

  const owners = new Map<number, { run: number; wid: number }>();
  for (const r of resolved) for (const sid of r.series.values()) owners.set(sid, { run: r.runPk, wid: r.workloadId });
  const runs = new Map<number, { ins: number; maxStep: number }>();
  const wls = new Map<number, { ins: number; maxStep: number }>();
  for (const [sid, ch] of changed) {
    const o = owners.get(sid)!;
    for (const [m, id] of [[runs, o.run], [wls, o.wid]] as const) {
      const a = m.get(id);
      if (a === undefined) m.set(id, { ins: ch.ins, maxStep: ch.maxStep });
      else (a.ins += ch.ins), (a.maxStep = Math.max(a.maxStep, ch.maxStep));
    }
  }
  for (const [table, m] of [['runs', runs], ['workloads', wls]] as const) {
    const list = [...m];
    await c.query(
      `UPDATE ${table} t SET points = t.points + u.ins, last_step = greatest(t.last_step, u.max_step)
       FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, ins, max_step) WHERE t.id = u.id`,
      [numArray(list.map(([id]) => id)), numArray(list.map(([, a]) => a.ins)), numArray(list.map(([, a]) => a.maxStep))],
    );
  }
  return written;
}
