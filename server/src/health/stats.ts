// Small robust statistics over short windows (at most a few hundred numbers), on the ingest
// path: medians by selection in a reused scratch buffer (no sort, no allocation per call).
// Windows are plain arrays used as rings (push, then drop the oldest), so they serialise to
// JSON as they are.

let scratch = new Float64Array(256);

function load(values: readonly number[], f?: (v: number) => number): Float64Array {
  if (scratch.length < values.length) scratch = new Float64Array(values.length * 2);
  if (f === undefined) for (let i = 0; i < values.length; i++) scratch[i] = values[i] as number;
  else for (let i = 0; i < values.length; i++) scratch[i] = f(values[i] as number);
  return scratch;
}

/** The k-th smallest (0-based) of a[0..n), reordering a (Hoare's selection). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const tmp = a[i] as number;
        a[i] = a[j] as number;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function medianOf(a: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  const upper = select(a, n, mid);
  if (n % 2 === 1) return upper;
  // after selecting mid, everything left of it is <= it: the lower middle is their maximum
  let lower = a[0] as number;
  for (let i = 1; i < mid; i++) if ((a[i] as number) > lower) lower = a[i] as number;
  return (lower + upper) / 2;
}

/** Median of the values (optionally of f(value)); NaN for none. Does not modify its input. */
export function median(values: readonly number[], f?: (v: number) => number): number {
  return medianOf(load(values, f), values.length);
}

/** Median of the second elements of [step, value] pairs, without building an array. */
export function medianOfPairs(pairs: ReadonlyArray<readonly [number, number]>): number {
  if (scratch.length < pairs.length) scratch = new Float64Array(pairs.length * 2);
  for (let i = 0; i < pairs.length; i++) scratch[i] = (pairs[i] as readonly [number, number])[1];
  return medianOf(scratch, pairs.length);
}

/** Median absolute deviation around `center` (of f(value) when f is given). */
export function mad(values: readonly number[], center: number, f?: (v: number) => number): number {
  const a = load(values, f);
  for (let i = 0; i < values.length; i++) a[i] = Math.abs((a[i] as number) - center);
  return medianOf(a, values.length);
}

/** Nearest-rank quantile, q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  return select(load(values), n, Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1)));
}

/** Appends and drops the oldest beyond `size` (shift: V8 trims the front in place). */
export function pushRing<T>(ring: T[], value: T, size: number): T[] {
  ring.push(value);
  while (ring.length > size) ring.shift();
  return ring;
}

/** Scale that makes the MAD of normal data equal to its standard deviation. */
export const MAD_TO_SIGMA = 1.4826;

/** Six significant digits (what a window value is stored with). */
export function compact(v: number): number {
  return Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(6)) : v;
}
