// Debiased exponential moving average, the smoothing TensorBoard and W&B apply (TensorBoard's
// scalarSmoothing default is 0.6), and its default by series length. Pure: no DOM, unit-tested under Node.

/** The smoothing of a long series (TensorBoard's default). */
export const DEFAULT_SMOOTHING = 0.6;
export const MAX_SMOOTHING = 0.99;

/**
 * The default smoothing by the number of points in a chart's longest series. An EMA of weight w
 * lags about w / (1 - w) points behind, 1.5 points at 0.6: nothing on a long run, but on five
 * points the smoothed line ends far from the last value while the runs table shows the real one.
 */
export const SMOOTHING_BY_POINTS: ReadonlyArray<{ below: number; smoothing: number; reason: string }> = [
  { below: 30, smoothing: 0, reason: 'every point is readable on its own; a moving average would only lag behind the last one' },
  { below: 300, smoothing: 0.3, reason: 'some noise to tame, but a lag of half a point keeps the curve close to the values' },
  {
    below: Infinity,
    smoothing: DEFAULT_SMOOTHING,
    reason: 'step-to-step noise hides the trend; the raw line stays visible underneath',
  },
];

export function defaultSmoothing(points: number): number {
  return (SMOOTHING_BY_POINTS.find((row) => points < row.below) ?? { smoothing: DEFAULT_SMOOTHING }).smoothing;
}

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
    out[i] = accumulator / (1 - weight ** finiteSeen);
  }
  return out;
}

export function clampSmoothing(smoothing: number): number {
  if (!Number.isFinite(smoothing) || smoothing <= 0) return 0;
  return Math.min(smoothing, MAX_SMOOTHING);
}
