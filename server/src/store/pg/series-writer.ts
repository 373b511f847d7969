// Writes the points of a group commit into series_chunks and keeps rollups and aggregates
// exact, in the caller's transaction, with a fixed number of statements however many
// batches it holds. The caller holds the workload row locks, so no other transaction
// writes these series meanwhile.
// 1. One upsert of every touched chunk row: a new row, or an append where every new step is
//    past the row's last step (arrays concatenated, rollup folded with column arithmetic).
//    It returns the rows it wrote; a conflicting row it did not write stays locked.
// 2. The other chunks (overwrite, backfill, re-delivery) are merged inside the database,
//    which says per chunk how many points were new and whether a stored one changed.
// 3. Series summaries folded when nothing stored changed, recomputed from the chunk rows
//    when something did; then run and workload counters.
import type pg from 'pg';
import type { ResolvedBatch } from './batch-writer.js';
import { CHUNK_SHIFT, ROLLUP_COLUMNS } from './chunk-layout-sql.js';
import { ArrayParam, arrayParam } from './sql-arrays.js';
import { SeriesPoints } from './series-points.js';

const CHUNK_STEPS = 2 ** CHUNK_SHIFT;

const APPEND_SQL = `
INSERT INTO series_chunks AS c (series_id, chunk, ${ROLLUP_COLUMNS}, steps, vals, walls)
SELECT u.sid, u.ch, u.hi - u.lo + 1, ($1::bigint[])[u.lo], $1[u.hi], ($2::float8[])[u.lo], ($3::float8[])[u.lo], $2[u.hi], $3[u.hi],
  $2[u.imin], $1[u.imin], $3[u.imin], $2[u.imax], $1[u.imax], $3[u.imax],
  $1[u.inan], $3[u.inan], $1[u.ipinf], $3[u.ipinf], $1[u.ininf], $3[u.ininf],
  u.minw, u.maxw, $1[u.lo:u.hi], $2[u.lo:u.hi], $3[u.lo:u.hi]
FROM unnest($4::bigint[], $5::bigint[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[],
  $13::float8[], $14::float8[]) AS u(sid, ch, lo, hi, imin, imax, inan, ipinf, ininf, minw, maxw)
ON CONFLICT (series_id, chunk) DO UPDATE SET
  n = c.n + excluded.n,
  last_step = excluded.last_step, last_value = excluded.last_value, last_wall = excluded.last_wall,
  fmin = CASE WHEN c.fmin IS NULL OR excluded.fmin < c.fmin THEN excluded.fmin ELSE c.fmin END,
  fmin_step = CASE WHEN c.fmin IS NULL OR excluded.fmin < c.fmin THEN excluded.fmin_step ELSE c.fmin_step END,
  fmin_wall = CASE WHEN c.fmin IS NULL OR excluded.fmin < c.fmin THEN excluded.fmin_wall ELSE c.fmin_wall END,
  fmax = CASE WHEN c.fmax IS NULL OR excluded.fmax > c.fmax THEN excluded.fmax ELSE c.fmax END,
  fmax_step = CASE WHEN c.fmax IS NULL OR excluded.fmax > c.fmax THEN excluded.fmax_step ELSE c.fmax_step END,
  fmax_wall = CASE WHEN c.fmax IS NULL OR excluded.fmax > c.fmax THEN excluded.fmax_wall ELSE c.fmax_wall END,
  nan_step = coalesce(c.nan_step, excluded.nan_step),
  nan_wall = CASE WHEN c.nan_step IS NULL THEN excluded.nan_wall ELSE c.nan_wall END,
  pinf_step = coalesce(c.pinf_step, excluded.pinf_step),
  pinf_wall = CASE WHEN c.pinf_step IS NULL THEN excluded.pinf_wall ELSE c.pinf_wall END,
  ninf_step = coalesce(c.ninf_step, excluded.ninf_step),
  ninf_wall = CASE WHEN c.ninf_step IS NULL THEN excluded.ninf_wall ELSE c.ninf_wall END,
  min_wall = least(c.min_wall, excluded.min_wall), max_wall = greatest(c.max_wall, excluded.max_wall),
  steps = c.steps || excluded.steps, vals = c.vals || excluded.vals, walls = c.walls || excluded.walls
WHERE excluded.first_step > c.last_step
RETURNING c.series_id, c.chunk`;

const MERGE_SQL = `
WITH m AS (
  SELECT u.sid, u.ch, x.* FROM unnest($4::bigint[], $5::bigint[], $6::int[], $7::int[]) AS u(sid, ch, lo, hi)
  JOIN series_chunks c ON c.series_id = u.sid AND c.chunk = u.ch
  CROSS JOIN LATERAL lens_chunk_merge(c.steps, c.vals, c.walls,
    ($1::bigint[])[u.lo:u.hi], ($2::float8[])[u.lo:u.hi], ($3::float8[])[u.lo:u.hi]) x),
w AS (
  UPDATE series_chunks c SET (${ROLLUP_COLUMNS}) = (SELECT * FROM lens_chunk_rollup(m.steps, m.vals, m.walls)),
    steps = m.steps, vals = m.vals, walls = m.walls
  FROM m WHERE c.series_id = m.sid AND c.chunk = m.ch AND (m.added > 0 OR m.changed))
SELECT sid, added, changed FROM m`;

// Under the workload locks the order in which these rows are locked cannot deadlock.
const COUNTERS_SQL = `
WITH s AS (
  UPDATE series s SET count = s.count + u.added, fmin = least(s.fmin, u.fmin), fmax = greatest(s.fmax, u.fmax),
    last_value = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_value ELSE s.last_value END,
    last_time = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_time ELSE s.last_time END,
    last_step = greatest(s.last_step, u.last_step)
  FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[], $5::bigint[], $6::float8[], $7::float8[])
    AS u(id, added, fmin, fmax, last_step, last_value, last_time)
  WHERE s.id = u.id),
r AS (
  UPDATE runs t SET points = t.points + u.added, last_step = greatest(t.last_step, u.max_step)
  FROM unnest($8::bigint[], $9::bigint[], $10::bigint[]) AS u(id, added, max_step) WHERE t.id = u.id),
w AS (
  UPDATE workloads t SET points = t.points + u.added, last_step = greatest(t.last_step, u.max_step)
  FROM unnest($11::bigint[], $12::bigint[], $13::bigint[]) AS u(id, added, max_step) WHERE t.id = u.id)
SELECT lens_series_recompute($14::bigint[])`;

/** Returns `written` per batch: its distinct (name, step) pairs. */
export async function writePoints(c: pg.PoolClient, resolved: readonly ResolvedBatch[]): Promise<number[]> {
  // Later batches win over earlier ones and, within a batch, later points over earlier ones.
  const bySeries = new Map<number, SeriesPoints>();
  const written = resolved.map((r) => {
    const local = new Map<string, { sp: SeriesPoints; last: number }>();
    let repeats = false;
    for (const p of r.batch.points) {
      let e = local.get(p.name);
      if (e === undefined) {
        const sid = r.series.get(p.name)!;
        let sp = bySeries.get(sid);
        if (sp === undefined) bySeries.set(sid, (sp = new SeriesPoints(sid)));
        local.set(p.name, (e = { sp, last: -Infinity }));
      } else if (p.step <= e.last) {
        repeats = true;
      }
      e.last = p.step;
      e.sp.push(p.step, p.value, p.wall_time);
    }
    return repeats ? distinctKeys(r) : r.batch.points.length;
  });
  if (bySeries.size === 0) return written;

  const series = [...bySeries.values()].sort((a, b) => a.sid - b.sid);
  let total = 0;
  for (const sp of series) total += sp.settle();
  const groups = buildGroups(series, total);

  const rows = await c.query<{ series_id: number; chunk: number }>(APPEND_SQL, groups.params());
  const applied = new Set<string>();
  if ((rows.rowCount ?? 0) < groups.count) for (const r of rows.rows) applied.add(`${r.series_id}:${r.chunk}`);
  const added = new Map<number, number>();
  const dirty = new Set<number>();
  if ((rows.rowCount ?? 0) < groups.count) {
    const rest = groups.subset((sid, ch) => !applied.has(`${sid}:${ch}`));
    for (let i = 0; i < groups.count; i++) {
      if (applied.has(`${groups.sid[i]}:${groups.ch[i]}`)) added.set(groups.sid[i]!, (added.get(groups.sid[i]!) ?? 0) + groups.size(i));
    }
    const merged = await c.query<{ sid: number; added: number; changed: boolean }>(MERGE_SQL, rest);
    for (const m of merged.rows) {
      added.set(m.sid, (added.get(m.sid) ?? 0) + m.added);
      if (m.changed) dirty.add(m.sid);
    }
  } else {
    for (const sp of series) added.set(sp.sid, sp.length);
  }
  await updateCounters(c, resolved, series, added, dirty);
  return written;
}

function distinctKeys(r: ResolvedBatch): number {
  const keys = new Set<string>();
  for (const p of r.batch.points) keys.add(`${p.name}\0${p.step}`);
  return keys.size;
}

async function updateCounters(
  c: pg.PoolClient, resolved: readonly ResolvedBatch[], series: readonly SeriesPoints[],
  added: Map<number, number>, dirty: Set<number>,
): Promise<void> {
  const owners = new Map<number, { run: number; wid: number }>();
  for (const r of resolved) for (const sid of r.series.values()) owners.set(sid, { run: r.runPk, wid: r.workloadId });
  const clean = series.filter((sp) => !dirty.has(sp.sid) && (added.get(sp.sid) ?? 0) > 0);
  const runs = new Map<number, { added: number; maxStep: number }>();
  const wls = new Map<number, { added: number; maxStep: number }>();
  for (const sp of series) {
    const n = added.get(sp.sid) ?? 0;
    if (n === 0 && !dirty.has(sp.sid)) continue;
    const o = owners.get(sp.sid)!;
    for (const [m, id] of [[runs, o.run], [wls, o.wid]] as const) {
      const a = m.get(id);
      if (a === undefined) m.set(id, { added: n, maxStep: sp.lastStep });
      else (a.added += n), (a.maxStep = Math.max(a.maxStep, sp.lastStep));
    }
  }
  if (clean.length === 0 && runs.size === 0) return;
  const col = (m: Map<number, { added: number; maxStep: number }>): Buffer[] => {
    const list = [...m];
    return [arrayParam('int8', list.map(([id]) => id)), arrayParam('int8', list.map(([, a]) => a.added)),
      arrayParam('int8', list.map(([, a]) => a.maxStep))];
  };
  await c.query(COUNTERS_SQL, [
    arrayParam('int8', clean.map((sp) => sp.sid)), arrayParam('int8', clean.map((sp) => added.get(sp.sid)!)),
    arrayParam('float8', clean.map((sp) => sp.fmin)), arrayParam('float8', clean.map((sp) => sp.fmax)),
    arrayParam('int8', clean.map((sp) => sp.lastStep)), arrayParam('float8', clean.map((sp) => sp.lastValue)),
    arrayParam('float8', clean.map((sp) => sp.lastWall)),
    ...col(runs), ...col(wls),
    arrayParam('int8', [...dirty]),
  ]);
}

/** The chunk groups of a commit: point arrays in (series, step) order and one row per chunk. */
class Groups {
  readonly sid: number[] = [];
  readonly ch: number[] = [];
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private readonly imin: Array<number | null> = [];
  private readonly imax: Array<number | null> = [];
  private readonly inan: Array<number | null> = [];
  private readonly ipinf: Array<number | null> = [];
  private readonly ininf: Array<number | null> = [];
  private readonly minw: number[] = [];
  private readonly maxw: number[] = [];
  /** Values pushed so far, to compare against the group's current min and max. */
  private readonly values: number[] = [];
  private readonly S: ArrayParam;
  private readonly V: ArrayParam;
  private readonly W: ArrayParam;
  private points: Buffer[] = [];

  constructor(total: number) {
    this.S = new ArrayParam('int8', total);
    this.V = new ArrayParam('float8', total);
    this.W = new ArrayParam('float8', total);
  }

  get count(): number {
    return this.sid.length;
  }

  size(i: number): number {
    return this.hi[i]! - this.lo[i]! + 1;
  }

  /** Adds the next point (position k, 1-based, in the point arrays), opening a group when needed. */
  add(sid: number, step: number, v: number, w: number): void {
    this.S.push(step);
    this.V.push(v);
    this.W.push(w);
    this.values.push(v);
    const k = this.S.length;
    const chunk = Math.floor(step / CHUNK_STEPS);
    let g = this.sid.length - 1;
    if (g < 0 || this.sid[g] !== sid || this.ch[g] !== chunk) {
      g += 1;
      this.sid.push(sid), this.ch.push(chunk), this.lo.push(k), this.hi.push(k);
      this.imin.push(null), this.imax.push(null), this.inan.push(null), this.ipinf.push(null), this.ininf.push(null);
      this.minw.push(w), this.maxw.push(w);
    }
    this.hi[g] = k;
    if (w < this.minw[g]!) this.minw[g] = w;
    if (w > this.maxw[g]!) this.maxw[g] = w;
    if (Number.isFinite(v)) {
      // Strict comparisons keep the earliest step among equal values, as the merge does.
      if (this.imin[g] === null || v < this.valueAt(this.imin[g]!)) this.imin[g] = k;
      if (this.imax[g] === null || v > this.valueAt(this.imax[g]!)) this.imax[g] = k;
    } else if (Number.isNaN(v)) {
      if (this.inan[g] === null) this.inan[g] = k;
    } else if (v > 0) {
      if (this.ipinf[g] === null) this.ipinf[g] = k;
    } else if (this.ininf[g] === null) {
      this.ininf[g] = k;
    }
  }

  private valueAt(k: number): number {
    return this.values[k - 1]!;
  }

  params(): Buffer[] {
    this.points = [this.S.value(), this.V.value(), this.W.value()];
    return [...this.points, arrayParam('int8', this.sid), arrayParam('int8', this.ch), arrayParam('int4', this.lo),
      arrayParam('int4', this.hi), arrayParam('int4', this.imin), arrayParam('int4', this.imax), arrayParam('int4', this.inan),
      arrayParam('int4', this.ipinf), arrayParam('int4', this.ininf), arrayParam('float8', this.minw), arrayParam('float8', this.maxw)];
  }

  /** The merge statement's parameters for the groups `keep` selects (same point arrays). */
  subset(keep: (sid: number, ch: number) => boolean): Buffer[] {
    const idx = this.sid.map((_, i) => i).filter((i) => keep(this.sid[i]!, this.ch[i]!));
    return [...this.points, arrayParam('int8', idx.map((i) => this.sid[i]!)), arrayParam('int8', idx.map((i) => this.ch[i]!)),
      arrayParam('int4', idx.map((i) => this.lo[i]!)), arrayParam('int4', idx.map((i) => this.hi[i]!))];
  }
}

function buildGroups(series: readonly SeriesPoints[], total: number): Groups {
  const g = new Groups(total);
  for (const sp of series) {
    const { steps, vals, walls } = sp;
    for (let i = 0; i < steps.length; i++) g.add(sp.sid, steps[i]!, vals[i]!, walls[i]!);
  }
  return g;
}
