// Turns what ingest stored into a small Observation for the evaluator: the steps with their
// wall times, the loss-like and performance points, the run's end and its total steps. One
// pass over the points, names classified through a memo, so it costs little on the ingest path.
import type { MetricBatch, RunUpsert } from '../store/types.js';
import { classify, totalStepsFromConfig } from './names.js';

export interface RunKey {
  workload_uid: string;
  run_id: string;
  rank: number;
}

/**
 * Flat number arrays (a name is an index into `names`): an observation waits up to a flush
 * interval, and a few arrays per body instead of a tuple per point keep the collector quiet
 * under ingest.
 */
export interface Observation {
  /** Server time the data arrived. */
  received_at: number;
  namespace: string | null;
  /** [step, earliest wall time of the step]…, by step. */
  steps: number[];
  /** Names of the loss-like and performance metrics below. */
  names: string[];
  /** [name index, step, value]…, by step. */
  losses: number[];
  /** [PERF_RULES index, name index, step, value, wall time]…, by step. */
  perf: number[];
  end: { exit_code: number | null; at: number } | null;
  total_steps: { value: number; source: string } | null;
}

export const LOSS_FIELDS = 3;
export const PERF_FIELDS = 5;

export function keyOf(k: RunKey): string {
  return `${k.workload_uid}\u0000${k.run_id}\u0000${k.rank}`;
}

function emptyObservation(receivedAt: number, namespace: string | undefined): Observation {
  return {
    received_at: receivedAt,
    namespace: namespace ?? null,
    steps: [],
    names: [],
    losses: [],
    perf: [],
    end: null,
    total_steps: null,
  };
}

export function observeBatch(batch: MetricBatch): Observation {
  const obs = emptyObservation(batch.received_at, batch.identity.namespace);
  // Points usually come grouped by step in step order: one comparison per point; a body that
  // is not is sorted and de-duplicated at the end.
  let curStep = -1;
  let curWall = 0;
  let sorted = true;
  const nameIndex = new Map<string, number>();
  const latestAt = new Map<string, number>();
  const indexOf = (name: string): number => {
    let i = nameIndex.get(name);
    if (i === undefined) {
      i = obs.names.length;
      obs.names.push(name);
      nameIndex.set(name, i);
    }
    return i;
  };
  for (const p of batch.points) {
    if (p.step === curStep) {
      if (p.wall_time < curWall) curWall = p.wall_time;
    } else {
      if (curStep >= 0) obs.steps.push(curStep, curWall);
      if (p.step < curStep) sorted = false;
      curStep = p.step;
      curWall = p.wall_time;
    }
    const c = classify(p.name);
    if (c.loss) obs.losses.push(indexOf(p.name), p.step, p.value);
    if (c.perf !== null && Number.isFinite(p.value)) {
      // A figure that is not a speed only shows its latest value: keep one per name.
      if (c.perf.speedRank === null) {
        const at = latestAt.get(p.name);
        if (at !== undefined && (obs.perf[at + 2] as number) <= p.step) {
          obs.perf[at + 2] = p.step;
          obs.perf[at + 3] = p.value;
          obs.perf[at + 4] = p.wall_time;
          continue;
        }
        if (at === undefined) latestAt.set(p.name, obs.perf.length);
      }
      obs.perf.push(c.perfIndex, indexOf(p.name), p.step, p.value, p.wall_time);
    }
  }
  if (curStep >= 0) obs.steps.push(curStep, curWall);
  if (!sorted) {
    const earliest = new Map<number, number>();
    for (let i = 0; i < obs.steps.length; i += 2) {
      const step = obs.steps[i] as number;
      earliest.set(step, Math.min(obs.steps[i + 1] as number, earliest.get(step) ?? Infinity));
    }
    obs.steps = [...earliest.entries()].sort((a, b) => a[0] - b[0]).flat();
    obs.losses = sortRecords(obs.losses, LOSS_FIELDS, 1);
    obs.perf = sortRecords(obs.perf, PERF_FIELDS, 2);
  }
  if (batch.run_state?.state === 'finished') {
    obs.end = { exit_code: batch.run_state.exit_code ?? null, at: batch.run_state.finished_at ?? batch.received_at };
  }
  if (batch.run?.config !== undefined) obs.total_steps = totalStepsFromConfig(batch.run.config);
  return obs;
}

/** A run seen through a detection report: its config (total steps) and the fact that it is alive. */
export function observeRun(run: RunUpsert): Observation {
  const obs = emptyObservation(run.received_at, run.identity.namespace);
  if (run.run?.config !== undefined) obs.total_steps = totalStepsFromConfig(run.run.config);
  if (run.run_state?.state === 'finished') {
    obs.end = { exit_code: run.run_state.exit_code ?? null, at: run.run_state.finished_at ?? run.received_at };
  }
  return obs;
}

/** Flat records of `width` numbers, sorted by the field at `by` (stable). */
function sortRecords(flat: number[], width: number, by: number): number[] {
  const records: number[][] = [];
  for (let i = 0; i < flat.length; i += width) records.push(flat.slice(i, i + width));
  records.sort((a, b) => (a[by] as number) - (b[by] as number));
  return records.flat();
}
