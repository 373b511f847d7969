// Step progress: learns the run's own rhythm from the wall times of its logged steps, and
// from it the stall and lost windows. Pure functions over RunHealthState.
import type { RunHealthState } from './state.js';
import { median, pushRing, quantile } from './stats.js';
import type { Thresholds } from './thresholds.js';

/** Gaps kept for the p95 and for steps per second. */
export const GAP_RING = 64;
/** Long pauses remembered (a checkpoint every few thousand steps leaves the gap ring long before the next). */
export const PAUSE_RING = 8;
/** A gap this many times the median gap is a pause, not a step. */
export const PAUSE_RATIO = 3;
const TYPICAL_EVERY = 8;

/**
 * Records a newly logged step. Returns the seconds of the gap before it (for the slow detector's
 * timestamp source; its steps are step − the previous last_step), or -1 for the first step and
 * for out-of-order steps. A number, not a tuple: this runs per step.
 */
export function recordStep(s: RunHealthState, step: number, wall: number, receivedAt: number): number {
  if (s.last_step !== null && step <= s.last_step) return -1;
  let gapBefore = -1;
  if (s.last_step !== null && s.last_step_wall !== null) {
    const gap = wall - s.last_step_wall;
    const dStep = step - s.last_step;
    // The first gap carries start-up (compilation, first data); it teaches nothing about the rhythm.
    if (gap >= 0 && s.gaps_seen > 0) {
      // The typical gap moves slowly: refreshed every few gaps, not on every step.
      if (s.gaps.length >= 4 && (s.typical_gap === null || s.gaps_seen % TYPICAL_EVERY === 0)) s.typical_gap = median(s.gaps);
      if (s.typical_gap !== null && s.typical_gap > 0 && gap > PAUSE_RATIO * s.typical_gap) pushRing(s.pauses, gap, PAUSE_RING);
      pushRing(s.gaps, gap, GAP_RING);
      pushRing(s.gap_steps, dStep, GAP_RING);
      s.stall_after = null;
    }
    if (gap >= 0) {
      s.gaps_seen += 1;
      gapBefore = gap;
    }
  }
  if (s.first_step === null) s.first_step = step;
  s.last_step = step;
  s.last_step_wall = wall;
  s.last_progress_at = receivedAt;
  return gapBefore;
}

/** Seconds without a new step after which the run is stalled. */
export function stallAfterSeconds(s: RunHealthState, t: Thresholds): number {
  if (s.gaps.length < t.stallLearnIntervals) return Math.max(t.stallStartupSeconds, t.stallFloorSeconds);
  // Cached until the next gap; a reader never sees a stale one because recordStep clears it.
  if (s.stall_after === null) {
    const p95 = quantile(s.gaps, 0.95);
    const pause = s.pauses.length > 0 ? Math.max(...s.pauses) : 0;
    s.stall_after = Math.max(t.stallFloorSeconds, t.stallFactor * p95, t.stallPauseFactor * pause);
  }
  return s.stall_after;
}

/** Seconds without any data after which the run is lost. */
export function lostAfterSeconds(s: RunHealthState, t: Thresholds): number {
  return Math.max(t.lostSeconds, t.lostFactor * stallAfterSeconds(s, t));
}

/** Robust steps per second over the recent gaps: 1 / median seconds per step. */
export function stepsPerSecond(s: RunHealthState): number | null {
  if (s.gaps.length === 0) return null;
  const perStep = s.gaps.map((g, i) => g / Math.max(1, s.gap_steps[i] ?? 1));
  const m = median(perStep);
  return m > 0 ? 1 / m : null;
}

/** Average rate over the gap ring, pauses included: what an ETA should use. */
export function averageStepsPerSecond(s: RunHealthState): number | null {
  const seconds = s.gaps.reduce((a, b) => a + b, 0);
  const steps = s.gap_steps.reduce((a, b) => a + b, 0);
  return seconds > 0 && steps > 0 ? steps / seconds : null;
}

export function etaSeconds(s: RunHealthState): number | null {
  if (s.total_steps === null || s.last_step === null) return null;
  const remaining = s.total_steps - s.last_step;
  if (remaining <= 0) return 0;
  const rate = averageStepsPerSecond(s);
  return rate === null ? null : remaining / rate;
}
