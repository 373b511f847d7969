// Bucket downsampling that never hides what matters on a training curve. The step range
// is split into max_points/4 buckets; each bucket keeps its first, min, max and last
// point, plus every non-finite point (NaN, ±Infinity). If that still exceeds max_points
// (e.g. a run that went NaN for good), each bucket keeps at most 4 points, chosen by
// priority: one NaN, one +Inf, one -Inf, then max, min, last, first. Pure and
// backend-agnostic: callers pass candidate points and get back the steps to return.

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
  nonFinite: Candidate[];
}

/** Returns the selected steps, ascending and unique, at most maxPoints of them. */
export function selectSteps(candidates: readonly Candidate[], maxPoints: number): number[] {
  if (candidates.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of candidates) {
    if (c.step < lo) lo = c.step;
    if (c.step > hi) hi = c.step;
  }
  const bucketCount = Math.max(1, Math.floor(maxPoints / 4));
  const span = hi - lo + 1;
  const buckets: Bucket[] = Array.from({ length: bucketCount }, () => ({ nonFinite: [] }));
  for (const c of candidates) {
    const i = Math.min(bucketCount - 1, Math.floor(((c.step - lo) / span) * bucketCount));
    addToBucket(buckets[i]!, c);
  }

  const all = new Set<number>();
  for (const b of buckets) {
    for (const c of [b.first, b.min, b.max, b.last]) if (c !== undefined) all.add(c.step);
    for (const c of b.nonFinite) all.add(c.step);
  }
  if (all.size <= maxPoints) return [...all].sort((a, b) => a - b);

  const perBucket = Math.min(4, maxPoints);
  const chosen: number[] = [];
  for (const b of buckets) {
    const picked = new Set<number>();
    for (const c of [b.nan, b.pinf, b.ninf, b.max, b.min, b.last, b.first]) {
      if (picked.size >= perBucket) break;
      if (c !== undefined) picked.add(c.step);
    }
    chosen.push(...picked);
  }
  return chosen.sort((a, b) => a - b);
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
  b.nonFinite.push(c);
  if (Number.isNaN(v)) {
    if (b.nan === undefined || c.step < b.nan.step) b.nan = c;
  } else if (v > 0) {
    if (b.pinf === undefined || c.step < b.pinf.step) b.pinf = c;
  } else if (b.ninf === undefined || c.step < b.ninf.step) {
    b.ninf = c;
  }
}
