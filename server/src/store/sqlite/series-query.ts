// querySeries for SQLite. Small ranges are read point by point; large ones are planned
// from the chunk rollups: chunks wholly inside the range contribute their first, last,
// extreme and non-finite points as candidates, only the (at most two) chunks cut by the
// range edges are scanned. The selected steps are then fetched by primary key, so a
// million-point series costs a few thousand chunk rows plus max_points lookups.
import type Database from 'better-sqlite3';
import { selectSteps, type Candidate } from '../downsample.js';
import type { Series, SeriesPoint, SeriesQuery } from '../types.js';
import { fromStoredValue } from './chunks.js';

/** Below this many points in range, scanning the points is cheaper than planning. */
const EXACT_SCAN_LIMIT = 8192;
const MIN_STEP = -Number.MAX_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;

type RawRow = [number, number | null, number];
/** The chunk columns selected by chunksInRange, in order. */
type ChunkTuple = [
  start: number, end: number, count: number, fmin: number | null, fminStep: number | null, fmax: number | null,
  fmaxStep: number | null, nanStep: number | null, pinfStep: number | null, ninfStep: number | null,
  minWall: number, maxWall: number,
];
const COUNT = 2;
const MIN_WALL = 10;
const MAX_WALL = 11;

interface Range {
  from: number;
  to: number;
  fromTime: number;
  toTime: number;
}

export class SeriesReader {
  private readonly findSeries;
  private readonly chunksInRange;
  private readonly pointsInRange;
  private readonly pointsAt;

  constructor(db: Database.Database) {
    this.findSeries = db.prepare(`SELECT s.id, r.run_id, r.rank FROM workloads w
      JOIN metric_names m ON m.workload_id = w.id AND m.name = @name
      JOIN series s ON s.metric_id = m.id
      JOIN runs r ON r.id = s.run_pk
      WHERE w.uid = @uid AND (@run_id IS NULL OR r.run_id = @run_id) AND (@rank IS NULL OR r.rank = @rank)
      ORDER BY r.run_id, r.rank`).raw();
    // Raw tuples, not objects: a million-point series has ~4,000 chunks and row objects
    // cost 2-3x more to build.
    this.chunksInRange = db
      .prepare(`SELECT start_step, end_step, count, fmin, fmin_step, fmax, fmax_step, nan_step, pinf_step, ninf_step,
          min_wall, max_wall
        FROM chunks WHERE series_id = ? AND start_step <= ? AND end_step >= ? ORDER BY start_step`)
      .raw();
    this.pointsInRange = db
      .prepare(`SELECT step, value, wall_time FROM points WHERE series_id = ? AND step >= ? AND step <= ?
        AND wall_time >= ? AND wall_time <= ? ORDER BY step`)
      .raw();
    // One statement for all selected steps: SQLite does the seeks, JS crosses into native once.
    this.pointsAt = db
      .prepare(`SELECT step, value, wall_time FROM points
        WHERE series_id = ? AND step IN (SELECT value FROM json_each(?)) ORDER BY step`)
      .raw();
  }

  query(q: SeriesQuery): Series[] {
    const rows = this.findSeries.all({
      name: q.name,
      uid: q.workload_uid,
      run_id: q.run_id ?? null,
      rank: q.rank ?? null,
    }) as Array<[number, string, number]>;
    const range: Range = {
      from: q.from_step ?? MIN_STEP,
      to: q.to_step ?? MAX_STEP,
      fromTime: q.from_time ?? -Infinity,
      toTime: q.to_time ?? Infinity,
    };
    return rows.map(([sid, runId, rank]) => ({ run_id: runId, rank, ...this.readOne(sid, range, q.max_points) }));
  }

  private readOne(sid: number, r: Range, maxPoints: number): Omit<Series, 'run_id' | 'rank'> {
    const chunks = this.chunksInRange.all(sid, r.to, r.from) as ChunkTuple[];
    let estimate = 0;
    for (const c of chunks) estimate += c[COUNT];
    if (estimate <= Math.max(maxPoints, EXACT_SCAN_LIMIT)) {
      return this.fromRows(this.scan(sid, r.from, r.to, r), maxPoints);
    }

    const candidates: Candidate[] = [];
    const known = new Map<number, SeriesPoint>();
    let total = 0;
    for (const c of chunks) {
      const [start, end, count] = c;
      const inside = start >= r.from && end <= r.to && c[MIN_WALL] >= r.fromTime && c[MAX_WALL] <= r.toTime;
      if (inside) {
        total += count;
        addChunkCandidates(c, candidates);
        continue;
      }
      const rows = this.scan(sid, Math.max(r.from, start), Math.min(r.to, end), r);
      total += rows.length;
      for (const row of rows) {
        const p: SeriesPoint = [row[0], fromStoredValue(row[1]), row[2]];
        known.set(p[0], p);
        candidates.push({ step: p[0], value: p[1] });
      }
    }
    if (total <= maxPoints) return this.fromRows(this.scan(sid, r.from, r.to, r), maxPoints);

    const steps = selectSteps(candidates, maxPoints);
    const missing = steps.filter((step) => !known.has(step));
    for (const row of this.pointsAt.all(sid, JSON.stringify(missing)) as RawRow[]) {
      known.set(row[0], [row[0], fromStoredValue(row[1]), row[2]]);
    }
    const points = steps.map((step) => known.get(step)!);
    return { total_points: total, downsampled: true, points };
  }

  private scan(sid: number, from: number, to: number, r: Range): RawRow[] {
    return this.pointsInRange.all(sid, from, to, r.fromTime, r.toTime) as RawRow[];
  }

  private fromRows(rows: RawRow[], maxPoints: number): Omit<Series, 'run_id' | 'rank'> {
    const all = rows.map((row): SeriesPoint => [row[0], fromStoredValue(row[1]), row[2]]);
    if (all.length <= maxPoints) return { total_points: all.length, downsampled: false, points: all };
    const byStep = new Map(all.map((p) => [p[0], p] as const));
    const steps = selectSteps(all.map((p) => ({ step: p[0], value: p[1] })), maxPoints);
    return { total_points: all.length, downsampled: true, points: steps.map((s) => byStep.get(s)!) };
  }
}

function addChunkCandidates(c: ChunkTuple, out: Candidate[]): void {
  const [start, end, , fmin, fminStep, fmax, fmaxStep, nanStep, pinfStep, ninfStep] = c;
  out.push({ step: start, value: null }, { step: end, value: null });
  if (fmin !== null && fminStep !== null) out.push({ step: fminStep, value: fmin });
  if (fmax !== null && fmaxStep !== null) out.push({ step: fmaxStep, value: fmax });
  if (nanStep !== null) out.push({ step: nanStep, value: NaN });
  if (pinfStep !== null) out.push({ step: pinfStep, value: Infinity });
  if (ninfStep !== null) out.push({ step: ninfStep, value: -Infinity });
}
