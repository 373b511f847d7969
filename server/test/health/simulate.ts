// Drives the pure evaluator with a generated run, as the service would (one evaluation per
// arriving batch), on a virtual clock, and reports every status the run went through, with
// when it began, including the stalls and losses a sweep would record between batches.
import { type Evaluated, effectiveStatus, evaluate, type PreviousRecord } from '../../src/health/evaluate.js';
import { observeBatch } from '../../src/health/observe.js';
import type { HealthEvent } from '../../src/health/state.js';
import type { HealthStatus } from '../../src/health/statuses.js';
import type { Thresholds } from '../../src/health/thresholds.js';
import type { GeneratedRun } from './generator.js';

export interface Timeline {
  /** Status changes in time order (time-based ones at their deadline). */
  changes: Array<{ at: number; status: HealthStatus }>;
  events: HealthEvent[];
  last: Evaluated | null;
  /** Arrival time of the last batch. */
  lastAt: number;
}

export function simulate(run: GeneratedRun, t: Thresholds): Timeline {
  let prev: PreviousRecord | null = null;
  let last: Evaluated | null = null;
  const changes: Timeline['changes'] = [];
  const events: HealthEvent[] = [];
  let current: HealthStatus = 'unknown';
  const note = (at: number, status: HealthStatus): void => {
    if (status !== current) changes.push({ at, status });
    current = status;
  };
  let lastAt = 0;
  for (const { at, batch } of run.batches) {
    if (prev !== null) {
      // What a sweep (or a reader) would have seen while waiting for this batch.
      if (prev.stall_at !== null && prev.stall_at < at) note(prev.stall_at, effectiveStatus(prev, prev.stall_at).status);
      if (prev.lost_at !== null && prev.lost_at < at) note(prev.lost_at, effectiveStatus(prev, prev.lost_at).status);
    }
    const obs = observeBatch(batch);
    obs.received_at = at;
    last = evaluate(prev, last === null ? null : last.state, [obs], t);
    events.push(...last.events);
    note(at, last.status);
    prev = { ...last, state: last.state };
    lastAt = at;
  }
  return { changes, events, last, lastAt };
}
