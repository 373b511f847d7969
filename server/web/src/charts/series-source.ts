// Wire series → in-memory series, and the fetches a chart needs (overview, zoom, live tail).
import { api } from '../api.js';
import { decodeNumber } from '../format.js';
import type { WireSeries } from '../types.js';
import type { SeriesPoints, XAxisMode } from './series-data.js';

export interface LoadedSeries extends SeriesPoints {
  runId: string;
  rank: number;
  totalPoints: number;
  downsampled: boolean;
}

/** Points per series for the overview; the server buckets the rest (first/min/max/last + non-finite). */
export const OVERVIEW_POINTS = 1_000;
/** A zoomed range is re-queried at this budget, which is full resolution for most ranges. */
export const ZOOM_POINTS = 4_000;

export function seriesKey(runId: string, rank: number): string {
  return `${runId}#${rank}`;
}

export function fromWire(wire: WireSeries): LoadedSeries {
  const n = wire.points.length;
  const steps = new Array<number>(n);
  const values = new Array<number>(n);
  const times = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const point = wire.points[i] as WireSeries['points'][number];
    steps[i] = point[0];
    values[i] = decodeNumber(point[1]) ?? NaN;
    times[i] = point[2];
  }
  return {
    key: seriesKey(wire.run_id, wire.rank),
    runId: wire.run_id,
    rank: wire.rank,
    totalPoints: wire.total_points,
    downsampled: wire.downsampled,
    steps,
    values,
    times,
  };
}

/** Stable order: by run, then rank, so colours do not jump when a poll adds data. */
export function sortSeries(series: LoadedSeries[]): LoadedSeries[] {
  return series.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : a.rank - b.rank));
}

export async function fetchOverview(uid: string, name: string, signal: AbortSignal): Promise<LoadedSeries[]> {
  const response = await api.series(uid, { name, max_points: OVERVIEW_POINTS }, signal);
  return sortSeries(response.series.map(fromWire));
}

export async function fetchRange(
  uid: string,
  name: string,
  mode: XAxisMode,
  from: number,
  to: number,
  signal: AbortSignal,
): Promise<LoadedSeries[]> {
  const range = mode === 'step' ? { from_step: Math.floor(from), to_step: Math.ceil(to) } : { from_time: from, to_time: to };
  const response = await api.series(uid, { name, max_points: ZOOM_POINTS, ...range }, signal);
  return sortSeries(response.series.map(fromWire));
}

/** Only the tail after `fromStep`, so a live page never re-downloads whole series. */
export async function fetchTail(uid: string, name: string, fromStep: number, signal: AbortSignal): Promise<LoadedSeries[]> {
  const response = await api.series(uid, { name, from_step: fromStep, max_points: OVERVIEW_POINTS }, signal);
  return response.series.map(fromWire);
}
