// querySeries for PostgreSQL: finds the series of a query and gives the shared planner
// (../series-plan.ts) its three reads over series_chunks. The chunk read returns each row's
// rollup with the value and wall time of every point it names (ends, finite min/max, first
// NaN/±Inf), so the planner's picks are answered from those rows without touching the point
// arrays; only the chunks cut by the range edges, and small ranges, read the arrays.
import type pg from 'pg';
import { readSeries, type ChunkTuple, type SeriesSource, type StepRange } from '../series-plan.js';
import type { Series, SeriesPoint, SeriesQuery } from '../types.js';
import { CHUNK_SHIFT } from './chunk-layout-sql.js';
import { query, unavailableOr } from './connection.js';
import { numArray, parseNumberArray } from './sql-arrays.js';

const CHUNK_STEPS = 2 ** CHUNK_SHIFT;
const MIN_STEP = -Number.MAX_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;

// The ChunkTuple's twelve columns, then the points they name: [step index, value, wall].
const CHUNK_READ = `first_step, last_step, n, fmin, fmin_step, fmax, fmax_step, nan_step, pinf_step, ninf_step,
  min_wall, max_wall, first_value, first_wall, last_value, last_wall, fmin_wall, fmax_wall, nan_wall, pinf_wall, ninf_wall`;
type ChunkRow = (number | null)[];
const NAMED: ReadonlyArray<readonly [step: number, value: number | null, wall: number]> = [
  [0, 12, 13], [1, 14, 15], [4, 3, 16], [6, 5, 17], [7, null, 18], [8, null, 19], [9, null, 20],
];
const NAMED_VALUE = [NaN, Infinity, -Infinity];

const INT8_ARRAY_OID = 1016;
const FLOAT8_ARRAY_OID = 1022;
const arrayTypes = {
  getTypeParser: (oid: number) => (oid === INT8_ARRAY_OID || oid === FLOAT8_ARRAY_OID ? parseNumberArray : (v: string) => v),
};

type Rows = (text: string, values: unknown[], types?: typeof arrayTypes) => Promise<unknown[][]>;

/** The three reads for one series of one query; remembers the chunk rows it read for pointsAt. */
class ChunkSource implements SeriesSource {
  private rows: ChunkRow[] = [];

  constructor(private readonly read: Rows) {}

  async chunks(sid: number, from: number, to: number): Promise<ChunkTuple[]> {
    this.rows = (await this.read(
      `SELECT ${CHUNK_READ} FROM series_chunks WHERE series_id = $1 AND chunk >= $2 AND chunk <= $3
         AND first_step <= $5 AND last_step >= $4 ORDER BY chunk`,
      [sid, Math.floor(from / CHUNK_STEPS), Math.floor(to / CHUNK_STEPS), from, to])) as ChunkRow[];
    // The extra columns ride along at the end; the planner reads the first twelve.
    return this.rows as unknown as ChunkTuple[];
  }

  async scan(sid: number, from: number, to: number, r: StepRange): Promise<SeriesPoint[]> {
    const rows = await this.read(
      `SELECT steps, vals, walls FROM series_chunks WHERE series_id = $1 AND chunk >= $2 AND chunk <= $3
         AND first_step <= $5 AND last_step >= $4 AND max_wall >= $6 AND min_wall <= $7 ORDER BY chunk`,
      [sid, Math.floor(from / CHUNK_STEPS), Math.floor(to / CHUNK_STEPS), from, to, r.fromTime, r.toTime], arrayTypes);
    const out: SeriesPoint[] = [];
    for (const [steps, vals, walls] of rows as Array<[number[], number[], number[]]>) {
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]!;
        const w = walls[i]!;
        if (s >= from && s <= to && w >= r.fromTime && w <= r.toTime) out.push([s, vals[i]!, w]);
      }
    }
    return out;
  }

  async pointsAt(sid: number, steps: number[]): Promise<SeriesPoint[]> {
    const found: SeriesPoint[] = [];
    const missing: number[] = [];
    for (const step of steps) {
      const p = this.named(step);
      if (p === null) missing.push(step);
      else found.push(p);
    }
    if (missing.length > 0) {
      const chunks = [...new Set(missing.map((s) => Math.floor(s / CHUNK_STEPS)))];
      const rows = await this.read(
        `SELECT p.ps, p.pv, p.pw FROM series_chunks c CROSS JOIN LATERAL unnest(c.steps, c.vals, c.walls) AS p(ps, pv, pw)
         WHERE c.series_id = $1 AND c.chunk = ANY($2::bigint[]) AND p.ps = ANY($3::bigint[])`,
        [sid, numArray(chunks), numArray(missing)]);
      for (const r of rows) found.push([Number(r[0]), Number(r[1]), Number(r[2])]);
    }
    return found.sort((a, b) => a[0] - b[0]);
  }

  /** The point at `step` if the chunk rows read before name it, else null. */
  private named(step: number): SeriesPoint | null {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const row = rows[mid]!;
      if ((row[1] as number) < step) lo = mid + 1;
      else if ((row[0] as number) > step) hi = mid - 1;
      else {
        for (let k = 0; k < NAMED.length; k++) {
          const [s, v, w] = NAMED[k]!;
          if (row[s] === step) return [step, v === null ? NAMED_VALUE[k - 4]! : (row[v] as number), row[w] as number];
        }
        return null;
      }
    }
    return null;
  }
}

export class PgSeriesReader {
  private readonly read: Rows;

  constructor(private readonly pool: pg.Pool) {
    this.read = async (text, values, types) => {
      try {
        return (await pool.query({ text, values, rowMode: 'array', ...(types ? { types } : {}) })).rows as unknown[][];
      } catch (err) {
        throw unavailableOr(err);
      }
    };
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    const found = await query<{ id: number; run_id: string; rank: number }>(this.pool,
      `SELECT s.id, r.run_id, r.rank FROM workloads w
       JOIN metric_names m ON m.workload_id = w.id AND m.name = $2
       JOIN series s ON s.metric_id = m.id
       JOIN runs r ON r.id = s.run_pk
       WHERE w.uid = $1 AND ($3::text IS NULL OR r.run_id = $3) AND ($4::int IS NULL OR r.rank = $4)
       ORDER BY r.run_id COLLATE "C", r.rank`,
      [q.workload_uid, q.name, q.run_id ?? null, q.rank ?? null]);
    const range: StepRange = {
      from: q.from_step ?? MIN_STEP,
      to: q.to_step ?? MAX_STEP,
      fromTime: q.from_time ?? -Infinity,
      toTime: q.to_time ?? Infinity,
    };
    const out: Series[] = [];
    for (const s of found) {
      out.push({ run_id: s.run_id, rank: s.rank, ...(await readSeries(new ChunkSource(this.read), s.id, range, q.max_points)) });
    }
    return out;
  }
}
