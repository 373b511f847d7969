// Slow: the run's recent median step time stays well above its own baseline. Step times come
// from the framework's own figure when it logs one (iteration time, or 1 / a throughput), else
// from the wall times of successive steps. Each sample is the mean over at least
// slowSampleSeconds of the run's own time (a run logging ten times a second says no more about
// its speed than one that logs once, and the window then spans minutes either way), so the
// per-step work is an addition. Pure functions over RunHealthState.
import { fmt } from './divergence.js';
import type { HealthEvent, RunHealthState, SlowTrack } from './state.js';
import { median, medianOfPairs, pushRing } from './stats.js';
import type { Thresholds } from './thresholds.js';

export const TIMESTAMP_SOURCE = 'step timestamps';
/** Blocks the baseline needs before anything is judged: a median of three survives one odd block. */
const MIN_BLOCKS = 3;
/** Rank of the timestamp source: after every framework figure. */
export const TIMESTAMP_RANK = 100;

function newTrack(source: string, rank: number): SlowTrack {
  return {
    source,
    rank,
    acc: null,
    mark: null,
    window: [],
    blocks: [],
    block: [],
    seen: 0,
    cond: 0,
    cond_since: null,
    cond_step: null,
    slow: null,
  };
}

/**
 * One step's time (seconds per step, or any quantity proportional to it) from `source` of
 * `rank`, covering `steps` steps. A better-ranked source replaces a worse one (and starts afresh);
 * a worse one is ignored. Steps add up into a sample until it spans slowSampleSeconds of wall time.
 */
export function recordStepTime(
  s: RunHealthState,
  source: string,
  rank: number,
  step: number,
  seconds: number,
  wall: number,
  t: Thresholds,
  out: HealthEvent[],
  at: number,
  steps = 1,
): void {
  if (!Number.isFinite(seconds) || seconds <= 0) return;
  if (s.slow === null || rank < s.slow.rank) {
    if (s.slow?.slow) {
      out.push({
        kind: 'recovered',
        metric: null,
        step,
        value: null,
        at,
        detail: `step time now measured from ${source}; the slowdown judged from ${s.slow.source} is closed`,
      });
    }
    s.slow = newTrack(source, rank);
  }
  const tr = s.slow;
  if (rank !== tr.rank || source !== tr.source) return;
  // acc: [first step, first wall, sum of seconds × steps, steps, last step]
  const acc = tr.acc;
  if (acc !== null && step <= acc[4]) return;
  if (acc === null) {
    const last = tr.window[tr.window.length - 1];
    if (last !== undefined && step <= last[0]) return;
    // A sample starts where the previous one ended (or where this step's own time began).
    tr.acc = [step, tr.mark ?? wall - seconds * steps, seconds * steps, steps, step];
  } else {
    acc[2] += seconds * steps;
    acc[3] += steps;
    acc[4] = step;
  }
  const a = tr.acc as [number, number, number, number, number];
  if (wall - a[1] < t.slowSampleSeconds) return;
  tr.acc = null;
  tr.mark = wall;
  judgeSample(tr, a[0], a[2] / a[3], wall, t, out, at);
}

function judgeSample(
  tr: SlowTrack,
  step: number,
  sample: number,
  wall: number,
  t: Thresholds,
  out: HealthEvent[],
  at: number,
): void {
  tr.seen += 1;
  if (tr.seen <= t.slowWarmupSamples) return;
  pushRing(tr.window, [step, sample], t.slowWindowSamples);
  if (tr.slow === null && tr.cond === 0) {
    tr.block.push(sample);
    if (tr.block.length >= t.slowWindowSamples) {
      // A block that is itself slow (the slowdown began inside it, before the window's median
      // turned) never joins the baseline it would be judged against.
      const m = median(tr.block);
      if (tr.blocks.length < MIN_BLOCKS || m < t.slowFactor * median(tr.blocks)) pushRing(tr.blocks, m, t.slowBaselineBlocks);
      tr.block = [];
    }
  } else {
    tr.block = []; // a block that saw slow samples never joins the baseline
  }
  if (tr.blocks.length < MIN_BLOCKS || tr.window.length < t.slowWindowSamples) return;
  const baseline = tr.slow?.baseline ?? median(tr.blocks);
  const current = medianOfPairs(tr.window);
  const ratio = current / baseline;
  if (tr.slow === null) {
    if (ratio >= t.slowFactor) {
      tr.cond += 1;
      tr.cond_since ??= wall;
      // Where it began is read off the window now; by the time it is confirmed the window has moved on.
      tr.cond_step ??= onsetStep(tr.window);
      if (tr.cond >= t.slowSustainSamples && wall - tr.cond_since >= t.slowSustainSeconds) {
        const onset = tr.cond_step;
        tr.slow = { step: onset, baseline };
        tr.cond = 0;
        tr.cond_since = null;
        tr.cond_step = null;
        out.push({
          kind: 'slowdown',
          metric: tr.source === TIMESTAMP_SOURCE ? null : tr.source,
          step: onset,
          value: ratio,
          at,
          detail: `median step time ${fmt(current)} is ${fmt(ratio)}× the run's own ${fmt(baseline)} since about step ${onset} (from ${tr.source})`,
        });
      }
    } else {
      tr.cond = 0;
      tr.cond_since = null;
      tr.cond_step = null;
    }
  } else if (ratio <= t.slowRecoverFactor) {
    out.push({
      kind: 'recovered',
      metric: tr.source === TIMESTAMP_SOURCE ? null : tr.source,
      step,
      value: ratio,
      at,
      detail: `step time back to ${fmt(ratio)}× the baseline at step ${step} (slow since step ${tr.slow.step})`,
    });
    tr.slow = null;
  }
}

/**
 * Where in the window the step time changed: the split that leaves the least absolute deviation
 * around the two sides' medians (a one-change L1 fit), read off in log units because a slowdown
 * multiplies. Robust to alternating step times (gradient accumulation), where judging each
 * sample against the threshold is not.
 */
function onsetStep(window: ReadonlyArray<[number, number]>): number {
  const logs = window.map(([, v]) => Math.log(v));
  let best = Number.POSITIVE_INFINITY;
  let at = window.length - 1;
  for (let i = 1; i < logs.length; i++) {
    const before = logs.slice(0, i);
    const after = logs.slice(i);
    const mb = median(before);
    const ma = median(after);
    if (ma <= mb) continue;
    let cost = 0;
    for (const v of before) cost += Math.abs(v - mb);
    for (const v of after) cost += Math.abs(v - ma);
    if (cost < best) {
      best = cost;
      at = i;
    }
  }
  return (window[at] as [number, number])[0];
}

export function isSlow(s: RunHealthState): boolean {
  return s.slow?.slow != null;
}
