// A commit's points, ready for series_chunks: gathered per series (step order, one point per
// step, the last one to arrive wins), then cut on the chunk grid into groups. The points
// travel as three binary arrays; each group is a slice of them plus the positions of its
// rollup points (finite min/max, first NaN/±Inf), so the database folds a group into its row
// with column arithmetic. Also the SQL of the writes both commit paths share.
import type { ResolvedBatch } from './batch-writer.js';
import { CHUNK_SHIFT, ROLLUP_COLUMNS } from './chunk-layout-sql.js';
import { SeriesPoints } from './series-points.js';
import { ArrayParam, arrayParam, type ElementType, type Params, SQL_TYPE } from './sql-arrays.js';

const CHUNK_STEPS = 2 ** CHUNK_SHIFT;

export interface Gathered {
  /** Per batch: its distinct (name, step) pairs. */
  written: number[];
  /** By series id. */
  series: SeriesPoints[];
  groups: Groups;
  /** Series id -> its run and workload. */
  owners: Map<number, { run: number; wid: number }>;
}

export function gather(resolved: readonly ResolvedBatch[]): Gathered {
  const bySeries = new Map<number, SeriesPoints>();
  const owners = new Map<number, { run: number; wid: number }>();
  const written = resolved.map((r) => {
    const local = new Map<string, { sp: SeriesPoints; last: number }>();
    let repeats = false;
    for (const p of r.batch.points) {
      let e = local.get(p.name);
      if (e === undefined) {
        const sid = r.series.get(p.name)!;
        let sp = bySeries.get(sid);
        if (sp === undefined) {
          sp = new SeriesPoints(sid);
          bySeries.set(sid, sp);
          owners.set(sid, { run: r.runPk, wid: r.workloadId });
        }
        e = { sp, last: -Infinity };
        local.set(p.name, e);
      } else if (p.step <= e.last) {
        repeats = true;
      }
      e.last = p.step;
      e.sp.push(p.step, p.value, p.wall_time);
    }
    return repeats ? distinctKeys(r) : r.batch.points.length;
  });
  const series = [...bySeries.values()].sort((a, b) => a.sid - b.sid);
  let total = 0;
  for (const sp of series) total += sp.settle();
  const groups = new Groups(total);
  for (const sp of series) {
    const { steps, vals, walls } = sp;
    for (let i = 0; i < steps.length; i++) groups.add(sp.sid, steps[i]!, vals[i]!, walls[i]!);
  }
  return { written, series, groups, owners };
}

function distinctKeys(r: ResolvedBatch): number {
  const keys = new Set<string>();
  for (const p of r.batch.points) keys.add(`${p.name}\0${p.step}`);
  return keys.size;
}

/** One row per (series, chunk) touched; point positions are 1-based, as in SQL arrays. */
export class Groups {
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
  private encoded: Buffer[] | null = null;

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

  /** Adds the next point (series and steps ascending), opening a group when needed. */
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
      this.sid.push(sid);
      this.ch.push(chunk);
      this.lo.push(k);
      this.hi.push(k);
      for (const slot of [this.imin, this.imax, this.inan, this.ipinf, this.ininf]) slot.push(null);
      this.minw.push(w);
      this.maxw.push(w);
    }
    this.hi[g] = k;
    if (w < this.minw[g]!) this.minw[g] = w;
    if (w > this.maxw[g]!) this.maxw[g] = w;
    if (Number.isFinite(v)) {
      // Strict comparisons keep the earliest step among equal values, as the merge does.
      if (this.imin[g] === null || v < this.values[this.imin[g]! - 1]!) this.imin[g] = k;
      if (this.imax[g] === null || v > this.values[this.imax[g]! - 1]!) this.imax[g] = k;
    } else if (Number.isNaN(v)) {
      if (this.inan[g] === null) this.inan[g] = k;
    } else if (v > 0) {
      if (this.ipinf[g] === null) this.ipinf[g] = k;
    } else if (this.ininf[g] === null) {
      this.ininf[g] = k;
    }
  }

  /** The three point arrays, encoded once. */
  points(): Buffer[] {
    this.encoded ??= [this.S.value(), this.V.value(), this.W.value()];
    return this.encoded;
  }

  /**
   * Inserts each group as a new row, or appends it to its row when every step is past the
   * row's last step. Returns the (series_id, chunk) of each row written; a conflicting row it
   * did not write (overwrite, backfill, re-delivery) stays locked and is not returned.
   */
  appendUpsert(p: Params, returning: string, gate = 'true'): string {
    const [s, v, w] = this.points().map((b) => p.add(b));
    const a = (type: ElementType, values: ReadonlyArray<number | null>): string =>
      `${p.add(arrayParam(type, values))}::${SQL_TYPE[type]}[]`;
    const fold = (col: string, cond: string): string => `${col} = CASE WHEN ${cond} THEN excluded.${col} ELSE c.${col} END`;
    const lower = 'c.fmin IS NULL OR excluded.fmin < c.fmin';
    const upper = 'c.fmax IS NULL OR excluded.fmax > c.fmax';
    return `INSERT INTO series_chunks AS c (series_id, chunk, ${ROLLUP_COLUMNS}, steps, vals, walls)
SELECT u.sid, u.ch, u.hi - u.lo + 1, (${s}::bigint[])[u.lo], ${s}[u.hi], (${v}::float8[])[u.lo], (${w}::float8[])[u.lo], ${v}[u.hi], ${w}[u.hi],
  ${v}[u.imin], ${s}[u.imin], ${w}[u.imin], ${v}[u.imax], ${s}[u.imax], ${w}[u.imax],
  ${s}[u.inan], ${w}[u.inan], ${s}[u.ipinf], ${w}[u.ipinf], ${s}[u.ininf], ${w}[u.ininf],
  u.minw, u.maxw, ${s}[u.lo:u.hi], ${v}[u.lo:u.hi], ${w}[u.lo:u.hi]
FROM unnest(${a('int8', this.sid)}, ${a('int8', this.ch)}, ${a('int4', this.lo)}, ${a('int4', this.hi)}, ${a('int4', this.imin)},
  ${a('int4', this.imax)}, ${a('int4', this.inan)}, ${a('int4', this.ipinf)}, ${a('int4', this.ininf)}, ${a('float8', this.minw)},
  ${a('float8', this.maxw)}) AS u(sid, ch, lo, hi, imin, imax, inan, ipinf, ininf, minw, maxw)
WHERE ${gate}
ON CONFLICT (series_id, chunk) DO UPDATE SET
  n = c.n + excluded.n, last_step = excluded.last_step, last_value = excluded.last_value, last_wall = excluded.last_wall,
  ${fold('fmin', lower)}, ${fold('fmin_step', lower)}, ${fold('fmin_wall', lower)},
  ${fold('fmax', upper)}, ${fold('fmax_step', upper)}, ${fold('fmax_wall', upper)},
  nan_step = coalesce(c.nan_step, excluded.nan_step), ${fold('nan_wall', 'c.nan_step IS NULL')},
  pinf_step = coalesce(c.pinf_step, excluded.pinf_step), ${fold('pinf_wall', 'c.pinf_step IS NULL')},
  ninf_step = coalesce(c.ninf_step, excluded.ninf_step), ${fold('ninf_wall', 'c.ninf_step IS NULL')},
  min_wall = least(c.min_wall, excluded.min_wall), max_wall = greatest(c.max_wall, excluded.max_wall),
  steps = c.steps || excluded.steps, vals = c.vals || excluded.vals, walls = c.walls || excluded.walls
WHERE excluded.first_step > c.last_step
${returning}`;
  }

  /**
   * Merges the groups `keep` selects into their (existing, locked) rows inside the database;
   * returns per group its series, the points that were new and whether a stored one changed.
   */
  mergeUpdate(p: Params, keep: (i: number) => boolean): string {
    const idx = this.sid.map((_, i) => i).filter(keep);
    const [s, v, w] = this.points().map((b) => p.add(b));
    const col = (type: 'int8' | 'int4', of: number[]): string =>
      p.add(
        arrayParam(
          type,
          idx.map((i) => of[i]!),
        ),
      );
    return `WITH m AS (
  SELECT u.sid, u.ch, x.* FROM unnest(${col('int8', this.sid)}::bigint[], ${col('int8', this.ch)}::bigint[],
    ${col('int4', this.lo)}::int[], ${col('int4', this.hi)}::int[]) AS u(sid, ch, lo, hi)
  JOIN series_chunks c ON c.series_id = u.sid AND c.chunk = u.ch
  CROSS JOIN LATERAL lens_chunk_merge(c.steps, c.vals, c.walls,
    (${s}::bigint[])[u.lo:u.hi], (${v}::float8[])[u.lo:u.hi], (${w}::float8[])[u.lo:u.hi]) x),
w AS (
  UPDATE series_chunks c SET (${ROLLUP_COLUMNS}) = (SELECT * FROM lens_chunk_rollup(m.steps, m.vals, m.walls)),
    steps = m.steps, vals = m.vals, walls = m.walls
  FROM m WHERE c.series_id = m.sid AND c.chunk = m.ch AND (m.added > 0 OR m.changed))
SELECT sid, added, changed FROM m`;
  }
}

/** Folds new points into series summaries (count, finite min/max, the point at the last step). */
export function seriesFold(p: Params, list: readonly SeriesPoints[], added: (sp: SeriesPoints) => number): string {
  const a = (type: 'int8' | 'float8', f: (sp: SeriesPoints) => number | null): string => p.add(arrayParam(type, list.map(f)));
  return `UPDATE series s SET count = s.count + u.added, fmin = least(s.fmin, u.fmin), fmax = greatest(s.fmax, u.fmax),
    last_value = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_value ELSE s.last_value END,
    last_time = CASE WHEN s.last_step IS NULL OR u.last_step > s.last_step THEN u.last_time ELSE s.last_time END,
    last_step = greatest(s.last_step, u.last_step)
  FROM unnest(${a('int8', (sp) => sp.sid)}::bigint[], ${a('int8', added)}::bigint[],
    ${a('float8', (sp) => sp.fmin)}::float8[], ${a('float8', (sp) => sp.fmax)}::float8[], ${a('int8', (sp) => sp.lastStep)}::bigint[],
    ${a('float8', (sp) => sp.lastValue)}::float8[], ${a('float8', (sp) => sp.lastWall)}::float8[])
    AS u(id, added, fmin, fmax, last_step, last_value, last_time)
  WHERE s.id = u.id`;
}

export interface Counter {
  added: number;
  maxStep: number;
}

/** Adds points to run or workload counters; last_step only grows. */
export function counterAdd(p: Params, table: 'runs' | 'workloads', m: ReadonlyMap<number, Counter>): string {
  const list = [...m];
  return `UPDATE ${table} t SET points = t.points + u.added, last_step = greatest(t.last_step, u.max_step)
  FROM unnest(${p.add(
    arrayParam(
      'int8',
      list.map(([id]) => id),
    ),
  )}::bigint[], ${p.add(
    arrayParam(
      'int8',
      list.map(([, a]) => a.added),
    ),
  )}::bigint[],
    ${p.add(
      arrayParam(
        'int8',
        list.map(([, a]) => a.maxStep),
      ),
    )}::bigint[]) AS u(id, added, max_step)
  WHERE t.id = u.id`;
}

/** Adds `n` points up to step `step` to the counter of `id`. */
export function addTo(m: Map<number, Counter>, id: number, n: number, step: number): void {
  const a = m.get(id);
  if (a === undefined) m.set(id, { added: n, maxStep: step });
  else {
    a.added += n;
    a.maxStep = Math.max(a.maxStep, step);
  }
}
