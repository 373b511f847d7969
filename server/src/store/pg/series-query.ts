// querySeries for PostgreSQL: finds the series of a query and gives the shared planner
// (../series-plan.ts) its three reads over series_chunks.
// - The chunk read returns each row's rollup with the value and wall time of every point it
//   names (ends, finite min/max, first NaN/±Inf), so the planner's picks are answered from
//   those rows without touching the point arrays; only chunks cut by the range edges, and
//   small ranges, read the arrays.
// - One statement finds the series and reads, for each, its chunk rollups and, when the range
//   is small enough for the planner to scan it (the same rule it applies), its points: the
//   usual query is one round trip whatever its number of series. On a busy machine every
//   round trip waits for the scheduler twice, once in each process.
// - Numbers travel packed, not as text: each row's `rollup` column (the rollup as float8s,
//   see PACKED_COLUMNS) and array_send for the point arrays, concatenated in chunk order and
//   sent as base64 (a third smaller than bytea's hex). node-postgres would otherwise make and
//   parse a string per number, most of a large read's time.
import type pg from 'pg';
import { type ChunkTuple, EXACT_SCAN_LIMIT, readSeries, type SeriesSource, type StepRange } from '../series-plan.js';
import type { Series, SeriesPoint, SeriesQuery } from '../types.js';
import { CHUNK_SHIFT, PACKED_COLUMNS, PACKED_NULLABLE } from './chunk-layout-sql.js';
import { unavailableOr } from './connection.js';
import { numArray } from './sql-arrays.js';

const CHUNK_STEPS = 2 ** CHUNK_SHIFT;
const MIN_STEP = -Number.MAX_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;

const WIDTH = PACKED_COLUMNS.length;
const TUPLE = 12;
const ROLLUPS = `encode(string_agg(rollup, ''::bytea ORDER BY chunk), 'base64')`;
const POINTS = `encode(string_agg(array_send(steps) || array_send(vals) || array_send(walls), ''::bytea ORDER BY chunk), 'base64')`;
// Where the named points sit in a row: [its step, its value (null: NaN/+Inf/-Inf), its wall time].
const NAMED: ReadonlyArray<readonly [step: number, value: number | null, wall: number]> = [
  [0, 12, 13],
  [1, 14, 15],
  [4, 3, 16],
  [6, 5, 17],
  [7, null, 18],
  [8, null, 19],
  [9, null, 20],
];
const NAMED_VALUE = [NaN, Infinity, -Infinity];
// The chunk rows of $1 overlapping steps [$4, $5] (chunks $2..$3), and those also inside wall times [$6, $7].
const IN_STEPS = 'series_id = $1 AND chunk >= $2 AND chunk <= $3 AND first_step <= $5 AND last_step >= $4';
const IN_RANGE = `${IN_STEPS} AND max_wall >= $6 AND min_wall <= $7`;

/** Base64 text from the database (null: no rows) as bytes. */
function view(text: string | null): DataView {
  if (text === null) return new DataView(new ArrayBuffer(0));
  const b = Buffer.from(text, 'base64');
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/** The packed rollup rows: the planner's tuples, and the numbers themselves for pointsAt. */
class PackedChunks {
  readonly tuples: ChunkTuple[];
  private readonly v: DataView;

  constructor(b: string | null) {
    this.v = view(b);
    const n = this.v.byteLength / 8 / WIDTH;
    this.tuples = new Array(n);
    for (let i = 0; i < n; i++) {
      const t = new Array<number | null>(TUPLE);
      for (let k = 0; k < TUPLE; k++) {
        const x = this.at(i, k);
        t[k] = Number.isNaN(x) && PACKED_NULLABLE[k] ? null : x;
      }
      this.tuples[i] = t as ChunkTuple;
    }
  }

  private at(row: number, col: number): number {
    return this.v.getFloat64((row * WIDTH + col) * 8);
  }

  /** The point at `step` if a row read names it, else null. */
  named(step: number): SeriesPoint | null {
    let lo = 0;
    let hi = this.tuples.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid, 1) < step) lo = mid + 1;
      else if (this.at(mid, 0) > step) hi = mid - 1;
      else {
        for (let k = 0; k < NAMED.length; k++) {
          const [s, val, w] = NAMED[k]!;
          if (this.at(mid, s) === step) return [step, val === null ? NAMED_VALUE[k - 4]! : this.at(mid, val), this.at(mid, w)];
        }
        return null;
      }
    }
    return null;
  }
}

/** Points of packed (steps, vals, walls) array triples with step in [from, to] and wall time in range. */
function unpackPoints(b: string | null, from: number, to: number, r: StepRange): SeriesPoint[] {
  const v = view(b);
  const out: SeriesPoint[] = [];
  let o = 0;
  // One array_send value: ndim, has-nulls flag, element type, then each dimension's length and
  // lower bound (an empty array has no dimension); then each element as its byte length (-1 for
  // NULL) and its bytes. Returns where each element's bytes start, -1 for a NULL.
  const elements = (): number[] => {
    const ndim = v.getInt32(o);
    const n = ndim === 0 ? 0 : v.getInt32(o + 12);
    o += 12 + 8 * ndim;
    const at = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const len = v.getInt32(o);
      at[i] = len < 0 ? -1 : o + 4;
      o += 4 + Math.max(len, 0);
    }
    return at;
  };
  while (o < v.byteLength) {
    const steps = elements();
    const vals = elements();
    const walls = elements();
    for (let i = 0; i < steps.length; i++) {
      const so = steps[i]!;
      const vo = vals[i] ?? -1;
      const wo = walls[i] ?? -1;
      if (so < 0 || vo < 0 || wo < 0) continue; // the writers never store a NULL; nothing to show for one
      const s = v.getInt32(so) * 4294967296 + v.getUint32(so + 4);
      const w = v.getFloat64(wo);
      if (s >= from && s <= to && w >= r.fromTime && w <= r.toTime) out.push([s, v.getFloat64(vo), w]);
    }
  }
  return out;
}

type Read = (text: string, values: unknown[]) => Promise<unknown[][]>;

/** What the series lookup already read for the query's whole range. */
interface Prefetched {
  chunks: PackedChunks;
  /** null when the range was too large for the planner to scan. */
  points: string | null;
}

/** The three reads for one series of one query. */
class ChunkSource implements SeriesSource {
  private packed = new PackedChunks(null);

  constructor(
    private readonly read: Read,
    private readonly range: StepRange,
    private readonly pre: Prefetched,
  ) {}

  private whole(from: number, to: number): boolean {
    return from === this.range.from && to === this.range.to;
  }

  private params(sid: number, from: number, to: number, r: StepRange): unknown[] {
    return [sid, Math.floor(from / CHUNK_STEPS), Math.floor(to / CHUNK_STEPS), from, to, r.fromTime, r.toTime];
  }

  async chunks(sid: number, from: number, to: number): Promise<ChunkTuple[]> {
    if (this.whole(from, to)) this.packed = this.pre.chunks;
    else {
      const [[b]] = (await this.read(
        `SELECT ${ROLLUPS} FROM series_chunks WHERE ${IN_STEPS}`,
        this.params(sid, from, to, this.range).slice(0, 5),
      )) as [[string | null]];
      this.packed = new PackedChunks(b);
    }
    return this.packed.tuples;
  }

  async scan(sid: number, from: number, to: number, r: StepRange): Promise<SeriesPoint[]> {
    if (this.whole(from, to) && this.pre.points !== null) return unpackPoints(this.pre.points, from, to, r);
    const [[b]] = (await this.read(`SELECT ${POINTS} FROM series_chunks WHERE ${IN_RANGE}`, this.params(sid, from, to, r))) as [
      [string | null],
    ];
    return unpackPoints(b, from, to, r);
  }

  async pointsAt(sid: number, steps: number[]): Promise<SeriesPoint[]> {
    const found: SeriesPoint[] = [];
    const missing: number[] = [];
    for (const step of steps) {
      const p = this.packed.named(step);
      if (p === null) missing.push(step);
      else found.push(p);
    }
    if (missing.length > 0) {
      const chunks = [...new Set(missing.map((s) => Math.floor(s / CHUNK_STEPS)))];
      const rows = await this.read(
        `SELECT p.ps, p.pv, p.pw FROM series_chunks c CROSS JOIN LATERAL unnest(c.steps, c.vals, c.walls) AS p(ps, pv, pw)
         WHERE c.series_id = $1 AND c.chunk = ANY($2::bigint[]) AND p.ps = ANY($3::bigint[])`,
        [sid, numArray(chunks), numArray(missing)],
      );
      for (const r of rows) found.push([Number(r[0]), Number(r[1]), Number(r[2])]);
    }
    return found.sort((a, b) => a[0] - b[0]);
  }
}

export class PgSeriesReader {
  private readonly read: Read;

  constructor(pool: pg.Pool) {
    this.read = async (text, values) => {
      try {
        return (await pool.query({ text, values, rowMode: 'array' })).rows as unknown[][];
      } catch (err) {
        throw unavailableOr(err);
      }
    };
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    const range: StepRange = {
      from: q.from_step ?? MIN_STEP,
      to: q.to_step ?? MAX_STEP,
      fromTime: q.from_time ?? -Infinity,
      toTime: q.to_time ?? Infinity,
    };
    const found = (await this.read(
      `SELECT s.id, r.run_id, r.rank, c.packed,
         CASE WHEN c.n <= $11 THEN coalesce((SELECT ${POINTS} FROM series_chunks WHERE ${IN_RANGE.replace('series_id = $1', 'series_id = s.id')}), '') END
       FROM workloads w
       JOIN metric_names m ON m.workload_id = w.id AND m.name = $9
       JOIN series s ON s.metric_id = m.id
       JOIN runs r ON r.id = s.run_pk
       CROSS JOIN LATERAL (SELECT ${ROLLUPS} AS packed, coalesce(sum(n), 0) AS n
         FROM series_chunks WHERE ${IN_STEPS.replace('series_id = $1', 'series_id = s.id')}) c
       WHERE w.uid = $8 AND ($10::text IS NULL OR r.run_id = $10) AND ($1::int IS NULL OR r.rank = $1)
       ORDER BY r.run_id COLLATE "C", r.rank`,
      [
        q.rank ?? null,
        Math.floor(range.from / CHUNK_STEPS),
        Math.floor(range.to / CHUNK_STEPS),
        range.from,
        range.to,
        range.fromTime,
        range.toTime,
        q.workload_uid,
        q.name,
        q.run_id ?? null,
        Math.max(q.max_points, EXACT_SCAN_LIMIT),
      ],
    )) as Array<[number, string, number, string | null, string | null]>;
    const out: Series[] = [];
    for (const [id, runId, rank, packed, points] of found) {
      const source = new ChunkSource(this.read, range, { chunks: new PackedChunks(packed), points });
      out.push({ run_id: runId, rank, ...(await readSeries(source, id, range, q.max_points)) });
    }
    return out;
  }
}
