// Display formatting shared by the pages. Pure functions, no DOM.
import type { WireNumber } from './types.js';

/** Decode a wire value: the non-finite strings become IEEE values, never 0 or null. */
export function decodeNumber(value: WireNumber | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return null;
}

export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '−Inf';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(3).replace(/\.?0+e/, 'e');
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toPrecision(5).replace(/\.?0+$/, '');
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value.toLocaleString('en-US');
}

export function formatConfidence(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value.toFixed(2);
}

/** Epoch seconds → "2026-11-26 16:04:32Z". UTC, because operators compare across time zones. */
export function formatTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) return '–';
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

export function formatAgo(epochSeconds: number | null | undefined, nowSeconds: number): string {
  if (epochSeconds === null || epochSeconds === undefined) return 'never';
  const delta = Math.max(0, nowSeconds - epochSeconds);
  if (delta < 5) return 'just now';
  if (delta < 60) return `${Math.floor(delta)}s ago`;
  if (delta < 3600) return `${Math.floor(delta / 60)}m ago`;
  if (delta < 86_400) return `${Math.floor(delta / 3600)}h ago`;
  return `${Math.floor(delta / 86_400)}d ago`;
}

/** A run that reports as running but has been silent this long probably died. */
export const LIVE_WINDOW_SECONDS = 300;

/**
 * A workload's state in the runs' own words (running / finished), so the list never calls a
 * workload "idle" while its runs table says "finished". "silent" is a running run that has
 * sent nothing for LIVE_WINDOW_SECONDS; "no runs" is a workload known only from a detection report.
 */
export type WorkloadState = 'running' | 'silent' | 'finished' | 'no runs';

export function workloadState(runs: number, activeRuns: number, lastSeen: number | null, nowSeconds: number): WorkloadState {
  if (activeRuns > 0) return lastSeen !== null && nowSeconds - lastSeen < LIVE_WINDOW_SECONDS ? 'running' : 'silent';
  return runs > 0 ? 'finished' : 'no runs';
}
