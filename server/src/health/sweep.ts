// What a sweep writes for a run whose stall or lost deadline passed: the status it now has,
// its event (the last step reached, when the threshold passed), no deadline left to wait for,
// and, for a lost run, when it leaves /metrics/training. Pure: the service saves it with a
// compare-and-set, so of several replicas sweeping at once exactly one records it.
import type { RunHealthRecord, RunHealthWrite } from '../store/types.js';
import { capEvents, effectiveStatus, stallEvent, summarize } from './evaluate.js';
import { type HealthEvent, restoreState } from './state.js';
import { isHealthStatus } from './statuses.js';
import type { Thresholds } from './thresholds.js';

export interface SweepWrite {
  write: RunHealthWrite;
  /** The event that changed its status (none when nothing changes but a stale deadline). */
  events: HealthEvent[];
}

export function sweepWrite(row: RunHealthRecord, now: number, t: Thresholds): SweepWrite {
  const eff = effectiveStatus({ ...row, status: isHealthStatus(row.status) ? row.status : 'unknown' }, now);
  const state = restoreState(row.state);
  const lost = eff.status === 'lost';
  const events =
    eff.status === row.status || (eff.status !== 'stalled' && !lost)
      ? []
      : capEvents(state, [stallEvent(lost ? 'lost' : 'stalled', state.last_step, eff.since, state, t)], t);
  return {
    events,
    write: {
      record: {
        ...row,
        status: eff.status,
        since: eff.since,
        stall_at: null,
        lost_at: lost ? null : row.lost_at,
        export_until: lost ? eff.since + t.lostExportSeconds : row.export_until,
        progress: summarize(state, t),
        state,
        updated_at: now,
      },
      expected_version: row.version,
      events: events.map((e) => ({ workload_uid: row.workload_uid, run_id: row.run_id, rank: row.rank, ...e })),
    },
  };
}
