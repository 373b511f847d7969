// Debiased exponential moving average, the smoothing TensorBoard and W&B apply by default
// (TensorBoard's scalarSmoothing default is 0.6). Pure: no DOM, unit-tested under Node.

export const DEFAULT_SMOOTHING = 0.6;
export const MAX_SMOOTHING = 0.99;

/**
 * Smooth `values` with weight `smoothing` in [0, 1).
 *
 * Debiasing divides by (1 - smoothing^n), so the first points are not dragged towards 0 the way
 * a plain EMA started at 0 would drag them. Non-finite values (NaN, ±Inf) pass through as they are
 * and do not enter the average: a single NaN must not erase the rest of the curve.
 * `null` (no value at this x) also passes through, untouched.
 */
export function debiasedEma(values: ReadonlyArray<number | null>, smoothing: number): Array<number | null> {
  const weight = clampSmoothing(smoothing);
  const out: Array<number | null> = new Array(values.length);
  if (weight === 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ?? null;
    return out;
  }
  let accumulator = 0;
  let finiteSeen = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || !Number.isFinite(value)) {
      out[i] = value ?? null;
      continue;
    }
    accumulator = accumulator * weight + (1 - weight) * value;
    finiteSeen++;
    out[i] = accumulator / (1 - Math.pow(weight, finiteSeen));
  }
  return out;
}

export function clampSmoothing(smoothing: number): number {
  if (!Number.isFinite(smoothing) || smoothing <= 0) return 0;
  return Math.min(smoothing, MAX_SMOOTHING);
}
