// SQL text shared by both backends' health reads: a health row's columns, the run's status at
// a given time (the stored status, overtaken by a passed stall or lost deadline) and its
// severity rank. Built from the health status table so the order lives in one place; `now` is
// a placeholder of the caller's dialect (@now for SQLite, $n for PostgreSQL).
import { HEALTH_STATUSES, type HealthStatus, SEVERITY } from '../health/statuses.js';
import type { WorkloadFilter } from './types.js';

/** A run_health row's columns, joined to its run and workload; the reads that resume an evaluation add `h.state`. */
export const HEALTH_COLUMNS = `w.uid AS workload_uid, r.run_id, r.rank, h.namespace, h.version, h.status, h.since, h.stall_at,
  h.lost_at, h.export_until, h.progress, h.updated_at`;
export const HEALTH_FROM = 'FROM run_health h JOIN runs r ON r.id = h.run_pk JOIN workloads w ON w.id = h.workload_id';

/** Status at `now` of the run_health row aliased `h`. */
export function effectiveStatusSql(now: string): string {
  return `(CASE WHEN h.status IN ('finished', 'failed') THEN h.status
    WHEN h.lost_at IS NOT NULL AND h.lost_at <= ${now} THEN 'lost'
    WHEN h.stall_at IS NOT NULL AND h.stall_at <= ${now} THEN 'stalled'
    ELSE h.status END)`;
}

/** Severity rank (0 = worst) of that status. */
export function severitySql(now: string): string {
  const cases = HEALTH_STATUSES.map((s) => `WHEN '${s}' THEN ${SEVERITY[s]}`).join(' ');
  return `(CASE ${effectiveStatusSql(now)} ${cases} ELSE ${SEVERITY.unknown} END)`;
}

/** Worst rank among a workload's runs (`workloadId` is an SQL expression), unknown when none. */
export function workloadSeveritySql(workloadId: string, now: string): string {
  return `coalesce((SELECT min(${severitySql(now)}) FROM run_health h WHERE h.workload_id = ${workloadId}), ${SEVERITY.unknown})`;
}

export function statusOfRank(rank: number): HealthStatus {
  return HEALTH_STATUSES[rank] ?? 'unknown';
}

export function rankOfStatus(status: string): number | null {
  const i = (HEALTH_STATUSES as readonly string[]).indexOf(status);
  return i < 0 ? null : i;
}

/** NaN and ±Infinity survive a TEXT column; null stays null. */
export function valueToText(v: number | null): string | null {
  return v === null ? null : String(v);
}

export function valueFromText(v: string | null): number | null {
  return v === null ? null : Number(v);
}

/** The health filter's parameters; an unknown status name matches nothing (rank -1) rather than being ignored. */
export function healthParams(f: WorkloadFilter): { health_rank: number | null; now: number } {
  const now = f.now ?? Date.now() / 1000;
  if (!f.health) return { health_rank: null, now };
  return { health_rank: rankOfStatus(f.health) ?? -1, now };
}
