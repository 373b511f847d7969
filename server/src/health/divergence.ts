// Diverged: a loss-like metric that is NaN or ±Inf (at once, at its step), or a spike far
// above the loss's recent robust level. Pure functions over RunHealthState.
import type { HealthEvent, LossTrack, RunHealthState } from './state.js';
import { MAD_TO_SIGMA, mad, median, pushRing } from './stats.js';
import type { Thresholds } from './thresholds.js';

function describe(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** A loss-like value; `tracked` says whether it keeps a spike window. Events are appended to `out`. */
export function recordLoss(
  s: RunHealthState,
  name: string,
  step: number,
  value: number,
  at: number,
  t: Thresholds,
  out: HealthEvent[],
): void {
  if (!Number.isFinite(value)) {
    if (s.non_finite[name] === undefined) {
      s.non_finite[name] = step;
      out.push({ kind: 'non_finite', metric: name, step, value, at, detail: `${name} is ${describe(value)} at step ${step}` });
    }
    return;
  }
  const open = s.non_finite[name];
  if (open !== undefined && step > open) {
    delete s.non_finite[name];
    out.push({
      kind: 'recovered',
      metric: name,
      step,
      value,
      at,
      detail: `${name} is finite again at step ${step} (non-finite since step ${open})`,
    });
  }
  const track = trackFor(s, name, t);
  if (track === null || step <= track.last_step) return;
  track.last_step = step;
  judgeSpike(track, name, step, value, at, t, out);
}

export function newLossTrack(): LossTrack {
  return { w: [], early_max: null, early_n: 0, last_step: -1, spike: null, calm: 0 };
}

/** The loss's spike window; a loss without one (all taken) is checked for NaN/±Inf only. */
function trackFor(s: RunHealthState, name: string, t: Thresholds): LossTrack | null {
  const existing = s.losses[name];
  if (existing !== undefined) return existing;
  if (Object.keys(s.losses).length >= t.maxTrackedLosses) return null;
  const track = newLossTrack();
  s.losses[name] = track;
  return track;
}

/** log for an all-positive window, identity otherwise (a loss may be negative, e.g. an ELBO). */
const identity = (v: number): number => v;
function spaceOf(track: LossTrack, value: number): (v: number) => number {
  return value > 0 && (track.nonpos ?? track.w.filter((v) => v <= 0).length) === 0 ? Math.log : identity;
}

/**
 * Points between recomputations of a window's median and MAD (a quarter of the window moves
 * them little); a value near the spike lines is always judged on a fresh level.
 */
const LEVEL_EVERY = 25;
/** A point this close to the spike line (as a share of spikeZ) is judged on a fresh level… */
const NEAR_LINE = 0.75;
/** …unless the level is younger than this many points already. */
const FRESH_ENOUGH = 4;

/**
 * The window's level [center, σ, log space, age] in track.level, recomputed every LEVEL_EVERY
 * points, when the space changed, or when `fresh`. (No tuple is returned: this runs per point.)
 */
function refreshLevel(track: LossTrack, value: number, t: Thresholds, fresh: boolean): [number, number, number, number] {
  const logSpace = spaceOf(track, value) === Math.log;
  const cached = track.level;
  if (!fresh && cached !== undefined && cached[3] < LEVEL_EVERY && cached[2] === (logSpace ? 1 : 0)) return cached;
  const f = logSpace ? Math.log : identity;
  const center = median(track.w, f);
  const sigmaFloor = logSpace ? t.spikeSigmaFloor : t.spikeSigmaFloor * Math.abs(center);
  const sigma = Math.max(MAD_TO_SIGMA * mad(track.w, center, f), sigmaFloor, Number.MIN_VALUE);
  if (cached === undefined) track.level = [center, sigma, logSpace ? 1 : 0, 0];
  else {
    cached[0] = center;
    cached[1] = sigma;
    cached[2] = logSpace ? 1 : 0;
    cached[3] = 0;
  }
  return track.level as [number, number, number, number];
}

function zOf(value: number, lv: readonly number[]): number {
  return ((lv[2] === 1 ? Math.log(value) : value) - (lv[0] as number)) / (lv[1] as number);
}

/** At least `slack` × spikeMinRatio times the level (for a level in log space), or that far above it. */
function aboveRatio(value: number, lv: readonly number[], t: Thresholds, slack: number): boolean {
  if (lv[2] === 1) return value >= slack * t.spikeMinRatio * Math.exp(lv[0] as number);
  const c = lv[0] as number;
  return value - c >= slack * (t.spikeMinRatio - 1) * Math.abs(c);
}

function judgeSpike(
  track: LossTrack,
  name: string,
  step: number,
  value: number,
  at: number,
  t: Thresholds,
  out: HealthEvent[],
): void {
  let spike = false;
  let detail = '';
  let level = Number.NaN;
  if (track.w.length >= t.spikeMinPoints) {
    let lv = refreshLevel(track, value, t, false);
    let z = zOf(value, lv);
    // Near both lines on the cached level: judge it on a fresh one. A steadily rising value is
    // near the z line often but far from the ratio line, so it costs no recomputation.
    if (z >= NEAR_LINE * t.spikeZ && aboveRatio(value, lv, t, NEAR_LINE) && (lv[3] as number) >= FRESH_ENOUGH) {
      lv = refreshLevel(track, value, t, true);
      z = zOf(value, lv);
    }
    if (z >= t.spikeZ && aboveRatio(value, lv, t, 1)) {
      spike = true;
      level = lv[2] === 1 ? Math.exp(lv[0] as number) : (lv[0] as number);
      detail = `${name} = ${fmt(value)} at step ${step}: ${fmt(value / level)}× its recent median ${fmt(level)} (robust z ${fmt(z)})`;
    }
  }
  if (
    !spike &&
    track.early_max !== null &&
    track.early_n >= t.spikeWindowPoints &&
    track.early_max > 0 &&
    value >= t.spikeExplosionFactor * track.early_max
  ) {
    spike = true;
    level = track.early_max;
    detail = `${name} = ${fmt(value)} at step ${step}: ${fmt(value / level)}× the largest value of its first ${t.spikeWindowPoints} points`;
  }
  if (spike) {
    track.calm = 0;
    if (track.spike === null) {
      track.spike = { step, value, level };
      out.push({ kind: 'spike', metric: name, step, value, at, detail });
    }
    return; // a spike never becomes part of the level it is judged against
  }
  if (track.early_n < t.spikeWindowPoints) {
    track.early_n += 1;
    track.early_max = track.early_max === null ? value : Math.max(track.early_max, value);
  }
  // Values that rule out log space, counted as they enter and leave the window.
  let nonpos = (track.nonpos ?? track.w.filter((v) => v <= 0).length) + (value <= 0 ? 1 : 0);
  const before = track.w.length;
  if (before >= t.spikeWindowPoints && (track.w[0] as number) <= 0) nonpos -= 1;
  pushRing(track.w, value, t.spikeWindowPoints);
  // (a window made smaller since the last save drops several at once: count afresh)
  track.nonpos = before + 1 - track.w.length > 1 ? track.w.filter((v) => v <= 0).length : nonpos;
  if (track.level !== undefined) track.level[3] += 1;
  if (track.spike !== null) {
    track.calm += 1;
    if (track.calm >= t.spikeRecoverPoints) {
      out.push({
        kind: 'recovered',
        metric: name,
        step,
        value,
        at,
        detail: `${name} back at its level at step ${step} after the spike at step ${track.spike.step}`,
      });
      track.spike = null;
      track.calm = 0;
    }
  }
}

/** True while a loss is non-finite or in an unrecovered spike. */
export function isDiverged(s: RunHealthState): boolean {
  if (Object.keys(s.non_finite).length > 0) return true;
  return Object.values(s.losses).some((l) => l.spike !== null);
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return describe(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}
