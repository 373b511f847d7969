// The storage contract. Handlers and detection code talk only to `Store`; no SQL, no
// driver types cross this boundary, so a PostgreSQL backend can implement the same
// interface. Every method that touches the database is async for the same reason, even
// though the SQLite backend is synchronous underneath.
//
// Conventions:
// - Times are epoch seconds as floats (wall clock of the client for points, of the server
//   for received_at / first_seen / last_seen).
// - Metric values are JS numbers and may be NaN, Infinity or -Infinity; the store keeps
//   them exactly. Turning them into the strings "NaN"/"Infinity"/"-Infinity" for JSON is
//   the HTTP layer's job.
// - rank -1 means "unknown rank" (the wire format's rule).

/** Who sent a batch; stored on the run row (first non-null value wins, later values update). */
export interface Identity {
  pod_uid?: string;
  pod_name?: string;
  namespace?: string;
  host?: string;
  pid?: number;
  local_rank?: number | null;
  node_rank?: number | null;
  world_size?: number | null;
}

export interface PointInput {
  name: string;
  step: number;
  /** NaN and ±Infinity allowed. */
  value: number;
  wall_time: number;
}

export type RunStateName = 'running' | 'finished';

export interface RunStateInput {
  state: RunStateName;
  exit_code?: number | null;
  finished_at?: number | null;
}

export interface RunInfo {
  project?: string;
  name?: string;
  /** Any JSON value (the user's wandb config). */
  config?: unknown;
}

/** One ingest body's worth of points: all of one run and one rank. */
export interface MetricBatch {
  workload_uid: string;
  run_id: string;
  /** -1 when unknown. */
  rank: number;
  identity: Identity;
  run?: RunInfo;
  run_state?: RunStateInput;
  points: PointInput[];
  /** Server receive time. */
  received_at: number;
}

/** A run seen through a detection report (no points). */
export interface RunUpsert {
  workload_uid: string;
  run_id: string;
  rank: number;
  identity: Identity;
  run?: RunInfo;
  run_state?: RunStateInput;
  /** Client time the run started (the report's timestamp), if known. */
  started_at?: number | null;
  received_at: number;
}

/** One stored detection source; (workload_uid, source, source_key) is the identity, re-reports overwrite. */
export interface DetectionSourceRecord {
  workload_uid: string;
  source: 'wandb' | 'user' | 'metrics';
  /** e.g. "<pod>/<rank>/<run_id>" for wandb reports, "manual" for the user override. */
  source_key: string;
  /** DetectionResult JSON produced by detection/. */
  result: unknown;
  evidence: unknown;
  hints: unknown;
  reported_at: number;
}

/** The merged per-workload detection. The scalar fields feed list filters; `merged` is the full object. */
export interface WorkloadDetectionRecord {
  workload_uid: string;
  framework: string;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number;
  status: string;
  /** The whole merged detection object (what GET framework-detection returns). */
  merged: unknown;
  updated_at: number;
}

/** A row of GET /api/v1/workloads. Detection fields are null until a detection was saved. */
export interface WorkloadRow {
  workload_uid: string;
  framework: string | null;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number | null;
  status: string | null;
  first_seen: number;
  last_seen: number;
  runs: number;
  pods: number;
  points: number;
  last_step: number | null;
  /** Last value of metric "loss", else of the first metric (by name) ending in "loss"; may be NaN/±Inf. */
  last_loss: number | null;
  /** Runs whose state is still "running". */
  active_runs: number;
  /** The namespace the workload is filed under (its first report that named one), or null. */
  namespace: string | null;
}

export interface WorkloadDetail extends WorkloadRow {
  /** The merged detection object, or null. */
  detection: unknown;
  /** Number of distinct metric names. */
  metrics: number;
}

export interface WorkloadFilter {
  /** Substring match on workload_uid (case-insensitive). */
  q?: string;
  /** Only workloads filed under one of these namespaces (a namespaced token's view); absent = all. */
  namespaces?: readonly string[];
  framework?: string;
  status?: string;
  /** Only workloads whose health (their worst run's status at `now`) is this. */
  health?: string;
  /** Epoch seconds the health filter is judged at (default: the store's clock). */
  now?: number;
  limit: number;
  offset: number;
}

export interface RunRow {
  run_id: string;
  project: string | null;
  name: string | null;
  rank: number;
  local_rank: number | null;
  node_rank: number | null;
  world_size: number | null;
  host: string | null;
  pod_name: string | null;
  pid: number | null;
  state: RunStateName;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  last_seen: number;
  last_step: number | null;
  points: number;
  config: unknown;
}

export interface MetricSummary {
  name: string;
  count: number;
  /** Value at the latest point (latest wall time across runs/ranks); may be non-finite. */
  last: number | null;
  /** Over finite values only; null if there are none. */
  min: number | null;
  max: number | null;
  last_step: number | null;
  last_time: number | null;
}

export interface SeriesQuery {
  workload_uid: string;
  name: string;
  run_id?: string;
  rank?: number;
  from_step?: number;
  to_step?: number;
  from_time?: number;
  to_time?: number;
  /** 2..100000; the caller validates. */
  max_points: number;
}

/** [step, value, wall_time]; value may be NaN/±Infinity. */
export type SeriesPoint = [number, number, number];

export interface Series {
  run_id: string;
  rank: number;
  /** Points in the queried range before downsampling. */
  total_points: number;
  downsampled: boolean;
  /** Sorted by step. */
  points: SeriesPoint[];
}

export interface RawPointsQuery {
  workload_uid: string;
  names?: string[];
  from_time?: number;
  to_time?: number;
  /** Hard cap on rows returned (the caller picks it; e.g. 100000). */
  limit: number;
}

export interface RawPoint {
  metric_name: string;
  run_id: string;
  rank: number;
  step: number;
  value: number;
  wall_time: number;
}

export interface StepTimesQuery {
  workload_uid: string;
  from_time?: number;
  to_time?: number;
  limit: number;
}

export interface RetentionResult {
  points: number;
  workloads: number;
}

export interface StorePressure {
  /** Points accepted by writeMetrics but not yet committed. */
  queued_points: number;
  /** True when new writes would be refused; answer 429/503 with Retry-After. */
  saturated: boolean;
}

/** One run's health, keyed like its run row. See server/src/health/ for what the fields mean. */
export interface RunHealthKey {
  workload_uid: string;
  run_id: string;
  rank: number;
}

export interface RunHealthRecord extends RunHealthKey {
  namespace: string | null;
  /** Bumped by every save; 0 for a run that has no stored health yet. */
  version: number;
  /** One of server/src/health/statuses.ts's HEALTH_STATUSES, as last evaluated. */
  status: string;
  since: number;
  /** Deadlines (epoch seconds) after which the run counts as stalled / lost; null when none is pending. */
  stall_at: number | null;
  lost_at: number | null;
  /** The run leaves /metrics/training after this time; null while it is live. */
  export_until: number | null;
  /** JSON: progress and performance as the API shows them. */
  progress: unknown;
  /** JSON: the evaluator's bounded memory of the run; null in list reads. */
  state: unknown;
  updated_at: number;
}

export interface HealthEventRecord extends RunHealthKey {
  kind: string;
  metric: string | null;
  step: number | null;
  /** NaN and ±Infinity allowed. */
  value: number | null;
  at: number;
  detail: string;
}

/** A compare-and-set save: applied only if the stored version still equals `expected_version` (0: none stored). */
export interface RunHealthWrite {
  record: RunHealthRecord;
  expected_version: number;
  /** Stored with the record, each at most once per (run, kind, metric, step). */
  events: HealthEventRecord[];
}

export * from './access-types.js';
export { StoreOpenError, StoreSaturatedError, StoreUnavailableError } from './store-errors.js';

import type { AccessStore } from './access-types.js';

/** Tokens and workload namespaces: `AccessStore` in access-types.ts. */
export interface Store extends AccessStore {
  /** Applies pending schema migrations; safe to call repeatedly. */
  migrate(): Promise<void>;

  /**
   * Upserts points keyed by (workload, run_id, rank, name, step); last write wins.
   * Resolves after the transaction that holds them committed (group commit: concurrent
   * calls share one transaction). `written` = points stored (new or overwritten).
   * Rejects with StoreSaturatedError when the pending queue is full.
   */
  writeMetrics(batch: MetricBatch): Promise<{ written: number }>;
  /** Creates or updates a run from a detection report (no points). */
  upsertRun(run: RunUpsert): Promise<void>;

  upsertDetectionSource(rec: DetectionSourceRecord): Promise<void>;
  /**
   * Stores one source, then re-merges its workload atomically: `merge` (pure, synchronous)
   * gets every stored source of the workload and returns the record that is saved. Two
   * calls for one workload never interleave, also from different processes sharing one
   * database, so a merge never misses a source that was stored before it.
   */
  recordDetectionSource(
    rec: DetectionSourceRecord,
    merge: (sources: DetectionSourceRecord[]) => WorkloadDetectionRecord,
  ): Promise<WorkloadDetectionRecord>;
  listDetectionSources(workloadUid: string): Promise<DetectionSourceRecord[]>;
  saveWorkloadDetection(rec: WorkloadDetectionRecord): Promise<void>;
  getWorkloadDetection(workloadUid: string): Promise<WorkloadDetectionRecord | null>;

  /** Sorted by last_seen desc. */
  listWorkloads(filter: WorkloadFilter): Promise<{ total: number; workloads: WorkloadRow[] }>;
  getWorkload(workloadUid: string): Promise<WorkloadDetail | null>;
  listRuns(workloadUid: string): Promise<RunRow[]>;
  /** Sorted by name. */
  listMetricNames(workloadUid: string): Promise<MetricSummary[]>;
  /** One series per (run, rank), downsampled server-side to at most max_points each. */
  querySeries(q: SeriesQuery): Promise<Series[]>;

  /**
   * Grafana-compat (the original's `metrics/data`): raw points, no downsampling, ordered by
   * wall_time then step. `names` empty/undefined = all metrics. Nothing is reserved or hidden.
   */
  queryRawPoints(q: RawPointsQuery): Promise<RawPoint[]>;
  /** Grafana-compat (`metrics/iteration-times`): the earliest wall time of each step, by step. */
  queryStepTimes(q: StepTimesQuery): Promise<Array<{ step: number; wall_time: number }>>;

  /** Stored health of these runs (state included); runs without any are left out. */
  getRunHealth(keys: RunHealthKey[]): Promise<RunHealthRecord[]>;
  /**
   * Compare-and-set saves, in one transaction; true for each write that was applied (its
   * stored version is then expected_version + 1). A write for a run that has no run row, or
   * whose version moved on (another replica saved first), is not applied and returns false.
   */
  saveRunHealth(writes: RunHealthWrite[]): Promise<boolean[]>;
  /** Every run of the workload that has stored health (state null). */
  listRunHealth(workloadUid: string): Promise<RunHealthRecord[]>;
  /** The workload's events, oldest first, at most `limit` (the newest are kept). */
  listHealthEvents(workloadUid: string, limit: number): Promise<HealthEventRecord[]>;
  /** Runs with a stall or lost deadline at or before `now` (state included), at most `limit`. */
  listDueRunHealth(now: number, limit: number): Promise<RunHealthRecord[]>;
  /** Runs still shown on /metrics/training at `now` (export_until null or later), worst first, at most `limit` (state null). */
  listExportedRunHealth(now: number, limit: number): Promise<RunHealthRecord[]>;
  /** Each workload's worst run status at `now`; workloads without stored health are left out. */
  workloadHealth(workloadUids: string[], now: number): Promise<Record<string, string>>;

  /** Deletes points with wall_time < cutoff, then workloads last seen before cutoff. */
  deleteOlderThan(cutoffEpochS: number): Promise<RetentionResult>;

  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  pressure(): StorePressure;
  /** Commits everything pending, then closes. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Upper bound on points waiting for the group commit (default 500,000). */
  maxQueuedPoints?: number;
  /** Retry-After seconds suggested when saturated (default 1). */
  retryAfterSeconds?: number;
  /** Retention deletes about this many points per transaction, yielding between (default 200,000). */
  retentionSlicePoints?: number;
  /** SQLite busy_timeout in ms (default 5000). */
  busyTimeoutMs?: number;
  /** SQLite: where failures of background work (applying the ingest log) are reported (default: stderr). */
  onBackgroundError?: (err: unknown) => void;
  /** PostgreSQL: connections in the pool (default 10). */
  pgPoolMax?: number;
  /** PostgreSQL: statement_timeout of every connection in ms (default 30,000; 0 = none). */
  pgStatementTimeoutMs?: number;
  /** PostgreSQL: how long opening a connection may take in ms (default 5,000). */
  pgConnectTimeoutMs?: number;
}
