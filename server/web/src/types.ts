// Shapes of the query API (server → dashboard). Plain JSON, no envelope.
// Non-finite metric values travel as the strings "NaN", "Infinity", "-Infinity".
// The health shapes come straight from the server's TypeBox schemas (a type-only import,
// erased from the bundle), so the page cannot drift from the API.
import type { HealthEventT, RunHealthT, WorkloadHealthAnswerT } from "../../src/health/schemas.js";
import type { HealthStatus } from "../../src/health/statuses.js";

export type { HealthStatus };
export type WorkloadHealth = WorkloadHealthAnswerT;
export type RunHealth = RunHealthT;
export type HealthEvent = HealthEventT;

export type WireNumber = number | "NaN" | "Infinity" | "-Infinity";

export interface WorkloadRow {
  workload_uid: string;
  framework: string | null;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number | null;
  status: string | null;
  first_seen: number | null;
  last_seen: number | null;
  runs: number;
  pods: number;
  points: number;
  last_step: number | null;
  last_loss: WireNumber | null;
  active_runs: number;
  /** Kubernetes namespace the workload is filed under; null when no report named one. */
  namespace: string | null;
  /** The worst run's health status, judged at the server's clock. */
  health: HealthStatus;
}

export interface WorkloadList {
  total: number;
  workloads: WorkloadRow[];
}

export interface WorkloadSummary extends WorkloadRow {
  detection: Detection | null;
  metrics: number;
}

export interface RunRow {
  run_id: string;
  project: string | null;
  name: string | null;
  rank: number | null;
  local_rank: number | null;
  node_rank: number | null;
  world_size: number | null;
  host: string | null;
  pod_name: string | null;
  pid: number | null;
  state: "running" | "finished" | string;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  last_seen: number | null;
  last_step: number | null;
  points: number;
  config: unknown;
}

export interface MetricSummary {
  name: string;
  count: number;
  last: WireNumber | null;
  min: WireNumber | null;
  max: WireNumber | null;
  last_step: number | null;
  last_time: number | null;
}

/** [step, value, wall_time] */
export type WirePoint = [number, WireNumber, number];

export interface WireSeries {
  run_id: string;
  rank: number;
  total_points: number;
  downsampled: boolean;
  points: WirePoint[];
}

export interface SeriesResponse {
  workload_uid: string;
  name: string;
  series: WireSeries[];
}

/** Who sent a wandb report, as the job set it; `rank` is absent when the job set no RANK. */
export interface SourceReporter {
  pod_name?: string;
  pod_uid?: string;
  namespace?: string;
  host?: string;
  rank?: number;
  run_id?: string;
}

/** One source of detection evidence. The detector owns the exact shape, so every field is optional. */
export interface DetectionSource {
  source?: string;
  source_key?: string;
  reporter?: SourceReporter;
  framework?: string | null;
  wrapper_framework?: string | null;
  base_framework?: string | null;
  confidence?: number | null;
  method?: string | null;
  indicators?: unknown;
  pod_name?: string | null;
  rank?: number | null;
  run_id?: string | null;
  updated_at?: number | null;
  time?: number | null;
  [key: string]: unknown;
}

export interface Detection {
  workload_uid?: string;
  framework: string | null;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number | null;
  status: string | null;
  method: string | null;
  sources?: DetectionSource[];
  conflicts?: unknown[];
  updated_at?: number | null;
}

export interface DetectionOverride {
  framework: string;
  wrapper_framework?: string;
  base_framework?: string;
  confidence?: number;
  note?: string;
}

/** GET /api/v1/whoami: the token this dashboard holds (or an open server). */
export interface Whoami {
  mode: "open" | "token";
  name: string;
  id: string | null;
  scope: "ingest" | "read" | "admin";
  /** Empty: every namespace. */
  namespaces: string[];
  expires_at: number | null;
}
