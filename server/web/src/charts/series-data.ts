// Turn per-(run, rank) series into the column layout uPlot draws. Pure: no DOM, unit-tested.
//
// uPlot wants one shared x column and one y column per series with null where a series has no
// point. Non-finite values cannot be drawn as a line, so they become gaps in the drawn columns
// and are returned separately as markers; the raw columns keep them for the tooltip.

export type XAxisMode = 'step' | 'time';

export interface SeriesPoints {
  key: string;
  steps: number[];
  values: number[];
  times: number[];
}

export type NonFiniteKind = 'nan' | '+inf' | '-inf';

export interface NonFiniteMarker {
  seriesIndex: number;
  x: number;
  step: number;
  kind: NonFiniteKind;
}

export interface AlignedColumns {
  x: number[];
  /** per series: the value at x, NaN/±Inf included, null where the series has no point */
  raw: Array<Array<number | null>>;
  markers: NonFiniteMarker[];
}

export function nonFiniteKind(value: number): NonFiniteKind | null {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return '+inf';
  if (value === -Infinity) return '-inf';
  return null;
}

export function alignSeries(series: ReadonlyArray<SeriesPoints>, mode: XAxisMode): AlignedColumns {
  const xsOf = (s: SeriesPoints): number[] => (mode === 'step' ? s.steps : s.times);
  const all: number[] = [];
  for (const s of series) for (const x of xsOf(s)) all.push(x);
  all.sort((a, b) => a - b);
  const x: number[] = [];
  for (const value of all) if (x.length === 0 || x[x.length - 1] !== value) x.push(value);

  const raw: Array<Array<number | null>> = [];
  const markers: NonFiniteMarker[] = [];
  series.forEach((s, seriesIndex) => {
    const column: Array<number | null> = new Array(x.length).fill(null);
    const xs = xsOf(s);
    for (let i = 0; i < xs.length; i++) {
      const at = lowerBound(x, xs[i] as number);
      const value = s.values[i] as number;
      column[at] = value;
      const kind = nonFiniteKind(value);
      if (kind) markers.push({ seriesIndex, x: xs[i] as number, step: s.steps[i] as number, kind });
    }
    raw.push(column);
  });
  return { x, raw, markers };
}

/** The drawable copy of a column: non-finite values become gaps; on a log axis so do values ≤ 0. */
export function drawable(column: ReadonlyArray<number | null>, logScale: boolean): Array<number | null> {
  const out: Array<number | null> = new Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const value = column[i];
    out[i] = value === null || value === undefined || !Number.isFinite(value) || (logScale && value <= 0) ? null : value;
  }
  return out;
}

/** Append points newer than the series' last step (live polling); returns how many were added. */
export function appendNewer(target: SeriesPoints, steps: number[], values: number[], times: number[]): number {
  const last = target.steps.length ? (target.steps[target.steps.length - 1] as number) : -Infinity;
  let added = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as number;
    if (step <= last) continue;
    target.steps.push(step);
    target.values.push(values[i] as number);
    target.times.push(times[i] as number);
    added++;
  }
  return added;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
