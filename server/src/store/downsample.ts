// Bucket downsampling that never hides what matters on a training curve. The step range
// is split into buckets (max_points/4, less the room the non-finite points need); each
// bucket keeps its first, min, max and last point plus every non-finite point (NaN,
// ±Infinity). When non-finite points would take more than half of max_points (a run that
// went NaN for good), max_points/4 buckets keep at most 4 points each, by priority: the
// series' own first/last, one NaN, one +Inf, one -Inf, then max, min, last, first.
// Pure and backend-agnostic: callers pass candidate points and get back the steps.

export interface Candidate {
  step: number;
  /** null = value not known to the caller (only usable as a bucket's first/last point). */
  value: number | null;
}

interface Bucket {
  first?: Candidate;
  last?: Candidate;
  min?: Candidate;
  max?: Candidate;
  nan?: Candidate;
  pinf?: Candidate;
  ninf?: Candidate;
}

/** Returns the selected steps, ascending and unique, at most maxPoints of them. */
export function selectSteps(candidates: readonly Candidate[], maxPoints: number): number[] {
  if (candidates.length === 0) return [];
  const nonFinite = new Set<number>();
  for (const c of candidates) if (c.value !== null && !Number.isFinite(c.value)) nonFinite.add(c.step);

  // Leave room for every non-finite point when they take at most half the budget; then
  // 4 points per bucket plus all of them can never exceed max_points.
  if (nonFinite.size <= maxPoints / 2) {
    const buckets = bucketize(candidates, Math.max(1, Math.floor((maxPoints - nonFinite.size) / 4)));
    const all = new Set<number>(nonFinite);
    for (const b of buckets) for (const c of [b.first, b.min, b.max, b.last]) if (c !== undefined) all.add(c.step);
    if (all.size <= maxPoints) return [...all].sort((a, b) => a - b);
  }

  const buckets = bucketize(candidates, Math.max(1, Math.floor(maxPoints / 4)));
  const perBucket = Math.min(4, maxPoints);
  const chosen: number[] = [];
  buckets.forEach((b, i) => {
    // The series' own first and last points come first: a chart must start and end right.
    const ends = [i === 0 ? b.first : undefined, i === buckets.length - 1 ? b.last : undefined];
    const picked = new Set<number>();
    for (const c of [...ends, b.nan, b.pinf, b.ninf, b.max, b.min, b.last, b.first]) {
      if (picked.size >= perBucket) break;
      if (c !== undefined) picked.add(c.step);
    }
    chosen.push(...picked);
  });
  return chosen.sort((a, b) => a - b);
}

function bucketize(candidates: readonly Candidate[], bucketCount: number): Bucket[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of candidates) {
    if (c.step < lo) lo = c.step;
    if (c.step > hi) hi = c.step;
  }
  const span = hi - lo + 1;
  const buckets: Bucket[] = Array.from({ length: bucketCount }, () => ({}));
  for (const c of candidates) {
    const i = Math.min(bucketCount - 1, Math.floor(((c.step - lo) / span) * bucketCount));
    addToBucket(buckets[i]!, c);
  }
  return buckets;
}

function addToBucket(b: Bucket, c: Candidate): void {
  if (b.first === undefined || c.step < b.first.step) b.first = c;
  if (b.last === undefined || c.step > b.last.step) b.last = c;
  const v = c.value;
  if (v === null) return;
  if (Number.isFinite(v)) {
    if (b.min === undefined || v < (b.min.value as number)) b.min = c;
    if (b.max === undefined || v > (b.max.value as number)) b.max = c;
    return;
  }
  if (Number.isNaN(v)) {
    if (b.nan === undefined || c.step < b.nan.step) b.nan = c;
  } else if (v > 0) {
    if (b.pinf === undefined || c.step < b.pinf.step) b.pinf = c;
  } else if (b.ninf === undefined || c.step < b.ninf.step) {
    b.ninf = c;
  }
}
