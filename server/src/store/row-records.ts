// Rows to the Store's records and back, where both backends agree: the columns a run upsert
// writes, a run row read back, metric summaries folded from their series, detection sources
// and merged results. Each backend runs its own SQL around these.
import type { DetectionSourceRecord, MetricSummary, RunRow, RunStateName, RunUpsert, WorkloadDetectionRecord } from './types.js';

/** The columns of a run row that an upsert writes: config as JSON text; null leaves what is stored as it is. */
export type RunColumns = Omit<RunRow, 'config' | 'state' | 'last_seen' | 'last_step' | 'points'> & {
  config: string | null;
  state: string | null;
};

export function runColumns(r: RunUpsert): RunColumns {
  const id = r.identity;
  const st = r.run_state;
  return {
    run_id: r.run_id,
    rank: r.rank,
    project: r.run?.project ?? null,
    name: r.run?.name ?? null,
    config: r.run?.config === undefined ? null : JSON.stringify(r.run.config),
    local_rank: id.local_rank ?? null,
    node_rank: id.node_rank ?? null,
    world_size: id.world_size ?? null,
    host: id.host ?? null,
    pod_name: id.pod_name ?? null,
    pid: id.pid ?? null,
    state: st?.state ?? null,
    exit_code: st?.state === 'finished' ? (st.exit_code ?? null) : null,
    finished_at: st?.state === 'finished' ? (st.finished_at ?? r.received_at) : null,
    started_at: r.started_at ?? null,
  };
}

/** A `runs` row (`SELECT r.*`) as the query API shows it; a NULL state (PostgreSQL) means running. */
export function runRecord(r: Record<string, unknown>): RunRow {
  return {
    run_id: r.run_id as string,
    project: r.project as string | null,
    name: r.name as string | null,
    rank: r.rank as number,
    local_rank: r.local_rank as number | null,
    node_rank: r.node_rank as number | null,
    world_size: r.world_size as number | null,
    host: r.host as string | null,
    pod_name: r.pod_name as string | null,
    pid: r.pid as number | null,
    state: ((r.state as string | null) ?? 'running') as RunStateName,
    exit_code: r.exit_code as number | null,
    started_at: r.started_at as number | null,
    finished_at: r.finished_at as number | null,
    last_seen: r.last_seen as number,
    last_step: r.last_step as number | null,
    points: r.points as number,
    config: r.config === null ? null : JSON.parse(r.config as string),
  };
}

/** One series' summary, as both backends read it (`last_value` already decoded). */
export interface SeriesSummaryRow {
  name: string;
  count: number;
  last_value: number | null;
  last_step: number | null;
  last_time: number | null;
  fmin: number | null;
  fmax: number | null;
}

/** Folds the series of each name (rows sorted by name): count summed, finite min/max, last = latest in wall time. */
export function foldMetricSummaries(rows: Iterable<SeriesSummaryRow>): MetricSummary[] {
  const out: MetricSummary[] = [];
  let cur: MetricSummary | null = null;
  for (const { name, count, last_value: lastValue, last_step: lastStep, last_time: lastTime, fmin, fmax } of rows) {
    if (cur === null || cur.name !== name) {
      cur = { name, count: 0, last: null, min: null, max: null, last_step: null, last_time: null };
      out.push(cur);
    }
    cur.count += count;
    if (fmin !== null && (cur.min === null || fmin < cur.min)) cur.min = fmin;
    if (fmax !== null && (cur.max === null || fmax > cur.max)) cur.max = fmax;
    const later =
      cur.last_time === null ||
      (lastTime ?? -Infinity) > cur.last_time ||
      (lastTime === cur.last_time && (lastStep ?? -Infinity) > (cur.last_step ?? -Infinity));
    if (later) {
      cur.last = lastValue;
      cur.last_step = lastStep;
      cur.last_time = lastTime;
    }
  }
  return out;
}

// Detection JSON columns hold whatever detection/ produces, as text; the store does not interpret them.

/** The values of a detection_sources row after its workload id, in column order. */
export function sourceValues(rec: DetectionSourceRecord): unknown[] {
  return [rec.source, rec.source_key, toJson(rec.result), toJson(rec.evidence), toJson(rec.hints), rec.reported_at];
}

export function sourceRecord(uid: string, r: Record<string, unknown>): DetectionSourceRecord {
  return {
    workload_uid: uid,
    source: r.source as DetectionSourceRecord['source'],
    source_key: r.source_key as string,
    result: fromJson(r.result),
    evidence: fromJson(r.evidence),
    hints: fromJson(r.hints),
    reported_at: r.reported_at as number,
  };
}

/** The values of a workload_detection row after its workload id, in column order. */
export function mergedValues(rec: WorkloadDetectionRecord): unknown[] {
  return [
    rec.framework,
    rec.wrapper_framework,
    rec.base_framework,
    rec.confidence,
    rec.status,
    toJson(rec.merged),
    rec.updated_at,
  ];
}

export function mergedRecord(uid: string, r: Record<string, unknown>): WorkloadDetectionRecord {
  return {
    workload_uid: uid,
    framework: r.framework as string,
    wrapper_framework: r.wrapper_framework as string | null,
    base_framework: r.base_framework as string | null,
    confidence: r.confidence as number,
    status: r.status as string,
    merged: fromJson(r.merged),
    updated_at: r.updated_at as number,
  };
}

function toJson(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function fromJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : null;
}
