// The shapes the detector returns. Other server modules (HTTP layer, store, dashboard)
// depend on these names, so they change only additively.

export type Layer = 'wrapper' | 'base' | 'runtime';
/**
 * How strong a piece of evidence is. `metrics`: the run's metric names match a framework's own;
 * `discounted`: evidence the report itself contradicts (an env var naming a framework that is not
 * loaded while another one runs; a module a running wrapper imports for its own plumbing).
 */
export type IndicatorKind = 'initialized' | 'imported' | 'declared' | 'installed' | 'metrics' | 'name' | 'hint' | 'discounted';

/** One piece of evidence that matched a rule. `signal` is the rule family (also used as the method tag). */
export interface Indicator {
  signal: string;
  framework: string;
  layer: Layer;
  kind: IndicatorKind;
  weight: number;
  detail?: string;
}

/** Two or more frameworks in the same layer were each strongly evidenced. */
export interface Conflict {
  layer: 'wrapper' | 'base';
  candidates: Array<{ framework: string; score: number }>;
  resolution: string;
}

export interface DetectionResult {
  /** 'unknown' when no rule matched. */
  framework: string;
  wrapper_framework: string | null;
  base_framework: string | null;
  /** 0..1, rounded to 2 decimals. */
  confidence: number;
  method: string;
  indicators: Indicator[];
  conflicts: Conflict[];
  detector_version: string;
}

/** Who sent a wandb report, in the job's own terms (POD_NAME, POD_UID, …), so a person can find it. */
export interface Reporter {
  pod_name?: string;
  pod_uid?: string;
  namespace?: string;
  host?: string;
  /** Absent when the job set no RANK. */
  rank?: number;
  run_id?: string;
}

export interface SourceResult extends DetectionResult {
  /** wandb reports and metric names. */
  reporter?: Reporter;
  /** `metrics`: the server's reading of the run's first metric names (no report needed). */
  source: 'wandb' | 'user' | 'metrics';
  /** Identifies what a re-report replaces, e.g. `pod/rank/run`. */
  source_key: string;
  /** Epoch seconds. */
  reported_at: number;
}

export type DetectionStatus = 'verified' | 'confirmed' | 'suspected' | 'conflict' | 'unknown';

export interface WorkloadDetection {
  framework: string;
  wrapper_framework: string | null;
  base_framework: string | null;
  confidence: number;
  status: DetectionStatus;
  method: string;
  sources: SourceResult[];
  conflicts: Conflict[];
}
