// The evaluator: folds observations into a run's state and says what the run's status is.
// Pure and synchronous: no store, no clock (times come in with the observations), so the
// scenario tests drive it directly with a virtual clock.
import { fmt, isDiverged, newLossTrack, recordLoss } from './divergence.js';
import { lossPriority, PERF_RULES, type PerfKey, type PerfRule } from './names.js';
import { LOSS_FIELDS, type Observation, PERF_FIELDS } from './observe.js';
import { etaSeconds, lostAfterSeconds, recordStep, stallAfterSeconds, stepsPerSecond } from './progress.js';
import { isSlow, recordStepTime, TIMESTAMP_RANK, TIMESTAMP_SOURCE } from './slowdown.js';
import { type HealthEvent, newState, type PerfValue, type RunHealthState } from './state.js';
import { type HealthStatus, TERMINAL_STATUSES } from './statuses.js';
import type { Thresholds } from './thresholds.js';

/** What is stored per run besides the state: the status as last evaluated and its deadlines. */
export interface HealthFields {
  status: HealthStatus;
  /** Server time the status began. */
  since: number;
  /** Server time at which the run counts as stalled / lost if nothing new arrives. */
  stall_at: number | null;
  lost_at: number | null;
  /** A finished or lost run leaves /metrics/training at this time; null while live. */
  export_until: number | null;
  namespace: string | null;
}

export interface Evaluated extends HealthFields {
  state: RunHealthState;
  progress: ProgressSummary;
  events: HealthEvent[];
}

export interface ProgressSummary {
  first_step: number | null;
  last_step: number | null;
  /** Server time the last new step arrived. */
  last_step_at: number | null;
  /** The run's own (client) wall time of the last step. */
  last_step_wall_time: number | null;
  last_data_at: number | null;
  steps_per_second: number | null;
  total_steps: number | null;
  total_steps_source: string | null;
  eta_seconds: number | null;
  stall_after_seconds: number | null;
  lost_after_seconds: number | null;
  step_time_source: string | null;
  performance: Partial<Record<PerfKey, PerfValue>>;
}

/** The status as of `now`: stored status, overtaken by a passed stall or lost deadline. */
export function effectiveStatus(
  f: Pick<HealthFields, 'status' | 'since' | 'stall_at' | 'lost_at'>,
  now: number,
): { status: HealthStatus; since: number } {
  if (TERMINAL_STATUSES.has(f.status)) return { status: f.status, since: f.since };
  if (f.lost_at !== null && now >= f.lost_at) return { status: 'lost', since: f.status === 'lost' ? f.since : f.lost_at };
  if (f.stall_at !== null && now >= f.stall_at)
    return { status: 'stalled', since: f.status === 'stalled' ? f.since : f.stall_at };
  return { status: f.status, since: f.since };
}

export interface PreviousRecord extends HealthFields {
  state: unknown;
}

/** Folds `observations` (in arrival order) into `prev` (null for a run never evaluated). */
export function evaluate(
  prev: PreviousRecord | null,
  state: RunHealthState | null,
  observations: readonly Observation[],
  t: Thresholds,
): Evaluated {
  const s = state ?? newState();
  const events: HealthEvent[] = [];
  let status: HealthStatus = prev?.status ?? 'unknown';
  let since = prev?.since ?? observations[0]?.received_at ?? 0;
  let fields = { stall_at: prev?.stall_at ?? null, lost_at: prev?.lost_at ?? null };
  let namespace = prev?.namespace ?? null;
  for (const obs of observations) {
    namespace = obs.namespace ?? namespace;
    const before = effectiveStatus({ status, since, ...fields }, obs.received_at);
    const stepBefore = s.last_step;
    const late = before.status === 'stalled' || before.status === 'lost';
    // The sweep may not have recorded the stall yet (it runs every few seconds): record it now.
    if (late && status !== before.status)
      events.push(stallEvent(before.status as 'stalled' | 'lost', stepBefore, before.since, s, t));
    apply(s, obs, t, events);
    const advanced = s.last_step !== stepBefore;
    if (late && (advanced || before.status === 'lost')) {
      events.push({
        kind: 'recovered',
        metric: null,
        step: s.last_step,
        value: null,
        at: obs.received_at,
        detail: advanced
          ? `new step ${s.last_step} after ${fmt(obs.received_at - before.since)} s ${before.status}`
          : `data arrived again after ${fmt(obs.received_at - before.since)} s lost`,
      });
    }
    fields = deadlines(s, t);
    // Still past a deadline after this data (e.g. a point at an old step): the stall goes on.
    const after = effectiveStatus({ status: baseStatus(s), since: obs.received_at, ...fields }, obs.received_at);
    const next = after.status;
    if (next !== status || (late && next !== before.status)) since = next === before.status ? before.since : obs.received_at;
    status = next;
  }
  // A recorded stall or loss has no deadline left to wait for; the sweep then skips the row.
  if (status === 'stalled') fields.stall_at = null;
  if (status === 'lost') fields = { stall_at: null, lost_at: null };
  const kept = capEvents(s, events, t);
  return {
    state: s,
    status,
    since,
    ...fields,
    namespace,
    export_until: s.ended !== null ? s.ended.at + t.exportGraceSeconds : status === 'lost' ? since + t.lostExportSeconds : null,
    progress: summarize(s, t),
    events: kept,
  };
}

function apply(s: RunHealthState, obs: Observation, t: Thresholds, events: HealthEvent[]): void {
  const at = obs.received_at;
  s.last_data_at = Math.max(s.last_data_at ?? at, at);
  if (obs.total_steps !== null) {
    s.total_steps = obs.total_steps.value;
    s.total_steps_source = obs.total_steps.source;
  }
  const st = obs.steps;
  for (let i = 0; i < st.length; i += 2) {
    const step = st[i] as number;
    const wall = st[i + 1] as number;
    const before = s.last_step ?? step;
    const gap = recordStep(s, step, wall, at);
    if (gap >= 0)
      recordStepTime(s, TIMESTAMP_SOURCE, TIMESTAMP_RANK, step, gap / (step - before), wall, t, events, at, step - before);
  }
  claimSpikeWindows(s, obs, t);
  const ls = obs.losses;
  for (let i = 0; i < ls.length; i += LOSS_FIELDS) {
    recordLoss(s, obs.names[ls[i] as number] as string, ls[i + 1] as number, ls[i + 2] as number, at, t, events);
  }
  const pf = obs.perf;
  for (let i = 0; i < pf.length; i += PERF_FIELDS) {
    const rule = PERF_RULES[pf[i] as number] as PerfRule;
    const name = obs.names[pf[i + 1] as number] as string;
    const step = pf[i + 2] as number;
    const value = pf[i + 3] as number;
    const wall = pf[i + 4] as number;
    const current = s.perf[rule.key];
    if (current !== undefined && current.source === name && step >= current.step) {
      current.value = value * rule.scale;
      current.step = step;
    } else if (current === undefined || step >= current.step) {
      s.perf[rule.key] = { value: value * rule.scale, source: name, step };
    }
    if (rule.speedRank !== null && value > 0) {
      recordStepTime(s, name, rule.speedRank, step, rule.rate ? 1 / value : value, wall, t, events, at);
    }
  }
  if (obs.end !== null && s.ended === null) {
    s.ended = { exit_code: obs.end.exit_code, at };
    const failed = obs.end.exit_code !== null && obs.end.exit_code !== 0;
    events.push({
      kind: failed ? 'failed' : 'finished',
      metric: null,
      step: s.last_step,
      value: obs.end.exit_code,
      at,
      detail: failed
        ? `the run ended with exit code ${obs.end.exit_code}`
        : obs.end.exit_code === null
          ? 'the run ended without an exit code'
          : 'the run ended with exit code 0',
    });
  }
}

/** New loss names claim the free spike windows, the main training losses first. */
function claimSpikeWindows(s: RunHealthState, obs: Observation, t: Thresholds): void {
  let free = t.maxTrackedLosses - Object.keys(s.losses).length;
  if (free <= 0 || obs.losses.length === 0) return;
  const fresh = new Set<string>();
  for (let i = 0; i < obs.losses.length; i += LOSS_FIELDS) {
    const name = obs.names[obs.losses[i] as number] as string;
    if (s.losses[name] === undefined) fresh.add(name);
  }
  for (const name of [...fresh].sort((a, b) => lossPriority(a) - lossPriority(b))) {
    if (free-- <= 0) break;
    s.losses[name] = newLossTrack();
  }
}

/** The status from the state alone (stalled and lost depend on the clock: see effectiveStatus). */
export function baseStatus(s: RunHealthState): HealthStatus {
  if (s.ended !== null) return s.ended.exit_code !== null && s.ended.exit_code !== 0 ? 'failed' : 'finished';
  if (isDiverged(s)) return 'diverged';
  if (isSlow(s)) return 'slow';
  if (s.last_step === null) return 'unknown';
  return 'healthy';
}

function deadlines(s: RunHealthState, t: Thresholds): { stall_at: number | null; lost_at: number | null } {
  if (s.ended !== null) return { stall_at: null, lost_at: null };
  return {
    stall_at: s.last_progress_at === null ? null : s.last_progress_at + stallAfterSeconds(s, t),
    lost_at: s.last_data_at === null ? null : s.last_data_at + lostAfterSeconds(s, t),
  };
}

/** The event for a stall or a loss of contact that began at `since`, at the last step reached. */
export function stallEvent(
  kind: 'stalled' | 'lost',
  step: number | null,
  since: number,
  s: RunHealthState,
  t: Thresholds,
): HealthEvent {
  if (kind === 'stalled') {
    return {
      kind: 'stall',
      metric: null,
      step,
      value: null,
      at: since,
      detail: `no new step after step ${step ?? '–'} for ${Math.round(stallAfterSeconds(s, t))} s (the run's stall threshold)`,
    };
  }
  return {
    kind: 'lost',
    metric: null,
    step,
    value: null,
    at: since,
    detail: `nothing arrived for ${Math.round(lostAfterSeconds(s, t))} s and the run never said it finished`,
  };
}

/** Keeps at most maxEventsPerRun events over the run's life. */
export function capEvents(s: RunHealthState, events: HealthEvent[], t: Thresholds): HealthEvent[] {
  const room = Math.max(0, t.maxEventsPerRun - s.events_recorded);
  const kept = events.slice(0, room);
  s.events_recorded += kept.length;
  return kept;
}

export function summarize(s: RunHealthState, t: Thresholds): ProgressSummary {
  return {
    first_step: s.first_step,
    last_step: s.last_step,
    last_step_at: s.last_progress_at,
    last_step_wall_time: s.last_step_wall,
    last_data_at: s.last_data_at,
    steps_per_second: stepsPerSecond(s),
    total_steps: s.total_steps,
    total_steps_source: s.total_steps_source,
    eta_seconds: s.ended !== null ? null : etaSeconds(s),
    stall_after_seconds: s.ended !== null || s.last_step === null ? null : stallAfterSeconds(s, t),
    lost_after_seconds: s.ended !== null ? null : lostAfterSeconds(s, t),
    step_time_source: s.slow?.source ?? null,
    performance: s.perf,
  };
}
