// The evaluator's memory of one run: everything it needs to judge the next points, bounded
// (rings of fixed size, at most maxTrackedLosses loss windows) and plain JSON, because it
// lives in the store (run_health.state) so that any replica can continue where another
// stopped. `STATE_VERSION` changes when the shape does; an older state is started afresh.

import type { PerfKey } from './names.js';
import { compact } from './stats.js';
import type { HealthEventKind } from './statuses.js';

export const STATE_VERSION = 2;

export interface LossTrack {
  /** Recent finite values (ring of spikeWindowPoints), spikes left out. */
  w: number[];
  /** Largest value among the first window (Megatron's explosion rule). */
  early_max: number | null;
  early_n: number;
  last_step: number;
  /** Open spike episode, or null. */
  spike: { step: number; value: number; level: number } | null;
  /** Consecutive normal points since the spike. */
  calm: number;
  /** The window's level as last computed: [center, σ, log space (1) or not (0), points since]. */
  level?: [number, number, number, number];
  /** How many values in `w` are ≤ 0 (any rules out log space). */
  nonpos?: number;
}

export interface SlowTrack {
  /** Where step times come from: a perf rule's source name, or "step timestamps". */
  source: string;
  /** Lower is a better source (PerfRule.speedRank; timestamps are last). */
  rank: number;
  /** The sample being summed: [first step, first wall time, Σ seconds, steps, last step]. */
  acc: [number, number, number, number, number] | null;
  /** Wall time the last sample ended at, where the next one starts. */
  mark: number | null;
  /** Rolling window: [step, seconds per step]. */
  window: Array<[number, number]>;
  /** Medians of completed normal-speed blocks. */
  blocks: number[];
  block: number[];
  seen: number;
  /** Consecutive samples meeting the slow condition, and the wall time of the first. */
  cond: number;
  cond_since: number | null;
  /** Where the slow condition began, read off the window when it first held. */
  cond_step: number | null;
  slow: { step: number; baseline: number } | null;
}

export interface PerfValue {
  value: number;
  /** The metric it came from, so nothing is guessed silently. */
  source: string;
  step: number;
}

export interface RunHealthState {
  v: number;
  first_step: number | null;
  last_step: number | null;
  /** Client wall time of last_step. */
  last_step_wall: number | null;
  /** Server time at which the step last advanced. */
  last_progress_at: number | null;
  /** Server time of anything from the run. */
  last_data_at: number | null;
  /** Wall-time gaps between successive logged steps (seconds), and their step deltas. */
  gaps: number[];
  gap_steps: number[];
  gaps_seen: number;
  /** Median gap, refreshed every few gaps (what "a long pause" is measured against). */
  typical_gap: number | null;
  /** The stall threshold for the current gaps (a cache; null = to be computed). */
  stall_after: number | null;
  /** The last few gaps that were long pauses (checkpoint, evaluation). */
  pauses: number[];
  total_steps: number | null;
  total_steps_source: string | null;
  /** Loss-like metrics that are NaN/±Inf right now: name → first step of the episode. */
  non_finite: Record<string, number>;
  losses: Record<string, LossTrack>;
  slow: SlowTrack | null;
  perf: Partial<Record<PerfKey, PerfValue>>;
  ended: { exit_code: number | null; at: number } | null;
  events_recorded: number;
}

export interface HealthEvent {
  kind: HealthEventKind;
  metric: string | null;
  step: number | null;
  /** NaN and ±Infinity allowed. */
  value: number | null;
  /** Server time (epoch seconds) the event was recognised. */
  at: number;
  detail: string;
}

export function newState(): RunHealthState {
  return {
    v: STATE_VERSION,
    first_step: null,
    last_step: null,
    last_step_wall: null,
    last_progress_at: null,
    last_data_at: null,
    gaps: [],
    gap_steps: [],
    gaps_seen: 0,
    typical_gap: null,
    stall_after: null,
    pauses: [],
    total_steps: null,
    total_steps_source: null,
    non_finite: {},
    losses: {},
    slow: null,
    perf: {},
    ended: null,
    events_recorded: 0,
  };
}

/** A stored state as this version understands it; anything else starts afresh. */
/**
 * Rounds the windows to six significant digits, in place, before a save: far finer than any
 * threshold here (the smallest is 1%), and it halves what each save writes.
 */
export function compactState(s: RunHealthState): void {
  const round = (xs: number[]): void => {
    for (let i = 0; i < xs.length; i++) xs[i] = compact(xs[i] as number);
  };
  round(s.gaps);
  round(s.pauses);
  for (const track of Object.values(s.losses)) round(track.w);
  if (s.slow !== null) {
    round(s.slow.blocks);
    round(s.slow.block);
    for (const pair of s.slow.window) pair[1] = compact(pair[1]);
  }
}

export function restoreState(raw: unknown): RunHealthState {
  if (raw !== null && typeof raw === 'object' && (raw as { v?: unknown }).v === STATE_VERSION) return raw as RunHealthState;
  return newState();
}
