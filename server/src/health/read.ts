// Builds the health answer of one workload from the store: every run (a run that has not been
// evaluated yet is `unknown`), its status at `now`, progress, performance and events.
import { jsonNumberOrNull } from '../http/non-finite.js';
import type { HealthEventRecord, RunHealthRecord, RunRow, Store } from '../store/types.js';
import { effectiveStatus, type ProgressSummary } from './evaluate.js';
import type { HealthEventT, PerformanceT, ProgressT, RunHealthT, WorkloadHealthAnswerT } from './schemas.js';
import { type HealthStatus, isHealthStatus, worstStatus } from './statuses.js';

/** Newest events returned per workload. */
export const EVENTS_PER_ANSWER = 1_000;

export function statusAt(r: RunHealthRecord, now: number): { status: HealthStatus; since: number } {
  return effectiveStatus({ ...r, status: isHealthStatus(r.status) ? r.status : 'unknown' }, now);
}

const EMPTY_PROGRESS: ProgressT = {
  first_step: null,
  last_step: null,
  last_step_at: null,
  last_step_wall_time: null,
  last_data_at: null,
  seconds_since_last_step: null,
  steps_per_second: null,
  total_steps: null,
  total_steps_source: null,
  eta_seconds: null,
  stall_after_seconds: null,
  lost_after_seconds: null,
  step_time_source: null,
};

export function progressOf(r: RunHealthRecord | undefined, now: number): { progress: ProgressT; performance: PerformanceT } {
  if (r === undefined || r.progress === null || typeof r.progress !== 'object')
    return { progress: EMPTY_PROGRESS, performance: {} };
  const { performance, ...p } = r.progress as ProgressSummary;
  return {
    progress: {
      ...EMPTY_PROGRESS,
      ...p,
      seconds_since_last_step: p.last_step_at === null ? null : Math.max(0, now - p.last_step_at),
    },
    performance: performance ?? {},
  };
}

function eventOf(e: HealthEventRecord): HealthEventT {
  return {
    run_id: e.run_id,
    rank: e.rank,
    kind: e.kind as HealthEventT['kind'],
    metric: e.metric,
    step: e.step,
    value: e.value === null ? null : jsonNumberOrNull(e.value),
    at: e.at,
    detail: e.detail,
  };
}

function pendingEvent(
  run: { run_id: string; rank: number },
  status: 'stalled' | 'lost',
  since: number,
  p: ProgressT,
): HealthEventT {
  const step = p.last_step;
  return status === 'stalled'
    ? {
        run_id: run.run_id,
        rank: run.rank,
        kind: 'stall',
        metric: null,
        step,
        value: null,
        at: since,
        detail: `no new step after step ${step ?? '–'} for ${Math.round(p.stall_after_seconds ?? 0)} s (the run's stall threshold)`,
      }
    : {
        run_id: run.run_id,
        rank: run.rank,
        kind: 'lost',
        metric: null,
        step,
        value: null,
        at: since,
        detail: `nothing arrived for ${Math.round(p.lost_after_seconds ?? 0)} s and the run never said it finished`,
      };
}

/** null when the workload does not exist. */
export async function workloadHealthAnswer(store: Store, uid: string, now: number): Promise<WorkloadHealthAnswerT | null> {
  const [runs, records, events] = await Promise.all([
    store.listRuns(uid),
    store.listRunHealth(uid),
    store.listHealthEvents(uid, EVENTS_PER_ANSWER),
  ]);
  if (runs.length === 0 && records.length === 0 && (await store.getWorkload(uid)) === null) return null;
  const key = (runId: string, rank: number): string => `${runId}\u0000${rank}`;
  const byRun = new Map(records.map((r) => [key(r.run_id, r.rank), r]));
  const eventsByRun = new Map<string, HealthEventT[]>();
  for (const e of events) {
    const k = key(e.run_id, e.rank);
    const list = eventsByRun.get(k) ?? [];
    list.push(eventOf(e));
    eventsByRun.set(k, list);
  }
  const rows: Array<Pick<RunRow, 'run_id' | 'rank'>> = runs.length > 0 ? runs : records;
  const out: RunHealthT[] = rows.map((run) => {
    const rec = byRun.get(key(run.run_id, run.rank));
    const at = rec === undefined ? { status: 'unknown' as const, since: null } : statusAt(rec, now);
    const events = eventsByRun.get(key(run.run_id, run.rank)) ?? [];
    const p = progressOf(rec, now);
    // A stall the sweep has not recorded yet (it runs every few seconds) is shown all the same.
    if (rec !== undefined && rec.status !== at.status && (at.status === 'stalled' || at.status === 'lost')) {
      events.push(pendingEvent(run, at.status, at.since, p.progress));
    }
    return { run_id: run.run_id, rank: run.rank, status: at.status, since: at.since, ...p, events };
  });
  return {
    workload_uid: uid,
    status: worstStatus(out.filter((r) => byRun.has(key(r.run_id, r.rank))).map((r) => r.status)),
    evaluated_at: now,
    runs: out,
  };
}
