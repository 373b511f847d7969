// Backend-agnostic downsampling plan for one series. Small ranges are read point by point;
// large ones are planned from the chunk rollups: chunks wholly inside the range contribute
// their first, last, extreme and non-finite points as candidates, only the (at most two)
// chunks cut by the range edges are scanned. The selected steps are then fetched by key, so
// a million-point series costs a few thousand chunk rows plus max_points lookups. The
// backend supplies the three reads; values arrive decoded (NaN as NaN).
import { type Candidate, selectSteps } from './downsample.js';
import type { Series, SeriesPoint } from './types.js';

/** Below this many points in range, scanning the points is cheaper than planning. */
export const EXACT_SCAN_LIMIT = 8192;

/** One chunk rollup as a tuple: a million-point series has ~4,000 and objects cost 2-3x more. */
export type ChunkTuple = [
  start: number,
  end: number,
  count: number,
  fmin: number | null,
  fminStep: number | null,
  fmax: number | null,
  fmaxStep: number | null,
  nanStep: number | null,
  pinfStep: number | null,
  ninfStep: number | null,
  minWall: number,
  maxWall: number,
];
const COUNT = 2;
const MIN_WALL = 10;
const MAX_WALL = 11;

export interface StepRange {
  from: number;
  to: number;
  fromTime: number;
  toTime: number;
}

type MaybeAsync<T> = T | Promise<T>;

export interface SeriesSource {
  /** Chunks of the series overlapping [from, to], by start step. */
  chunks(seriesId: number, from: number, to: number): MaybeAsync<ChunkTuple[]>;
  /** Points with step in [from, to] and wall time in the range's bounds, by step. */
  scan(seriesId: number, from: number, to: number, r: StepRange): MaybeAsync<SeriesPoint[]>;
  /** The points at these steps, by step. */
  pointsAt(seriesId: number, steps: number[]): MaybeAsync<SeriesPoint[]>;
}

export async function readSeries(
  src: SeriesSource,
  sid: number,
  r: StepRange,
  maxPoints: number,
): Promise<Omit<Series, 'run_id' | 'rank'>> {
  const chunks = await src.chunks(sid, r.from, r.to);
  let estimate = 0;
  for (const c of chunks) estimate += c[COUNT];
  if (estimate <= Math.max(maxPoints, EXACT_SCAN_LIMIT)) return fromPoints(await src.scan(sid, r.from, r.to, r), maxPoints);

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
    const rows = await src.scan(sid, Math.max(r.from, start), Math.min(r.to, end), r);
    total += rows.length;
    for (const p of rows) {
      known.set(p[0], p);
      candidates.push({ step: p[0], value: p[1] });
    }
  }
  if (total <= maxPoints) return fromPoints(await src.scan(sid, r.from, r.to, r), maxPoints);

  const steps = selectSteps(candidates, maxPoints);
  const missing = steps.filter((step) => !known.has(step));
  if (missing.length > 0) for (const p of await src.pointsAt(sid, missing)) known.set(p[0], p);
  return { total_points: total, downsampled: true, points: steps.map((step) => known.get(step)!) };
}

function fromPoints(all: SeriesPoint[], maxPoints: number): Omit<Series, 'run_id' | 'rank'> {
  if (all.length <= maxPoints) return { total_points: all.length, downsampled: false, points: all };
  const byStep = new Map(all.map((p) => [p[0], p] as const));
  const steps = selectSteps(
    all.map((p) => ({ step: p[0], value: p[1] })),
    maxPoints,
  );
  return { total_points: all.length, downsampled: true, points: steps.map((s) => byStep.get(s)!) };
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
