// The detection write path shared by the ingest route (a wandb report) and the manual
// override (POST framework-detection): store the source, re-merge every source of the
// workload, save the merged result. A re-report of the same source key replaces the old
// one, so re-delivery never duplicates. The store runs store-merge-save atomically per
// workload (across replicas too), so two concurrent reports cannot save a merge that
// misses the other's source.
import {
  DETECTOR_VERSION,
  type DetectionResult,
  mergeWorkload,
  type Reporter,
  type SourceResult,
  type WorkloadDetection,
} from '../detection/index.js';
import { isPlainObject } from '../http/json-shapes.js';
import type { DetectionSourceRecord, Store, WorkloadDetectionRecord } from '../store/types.js';

/** What GET framework-detection returns (and what is stored as the merged object). */
export interface MergedDetection extends WorkloadDetection {
  workload_uid: string;
  updated_at: number;
}

function toSourceResult(rec: DetectionSourceRecord): SourceResult | null {
  const result = rec.result as (Partial<DetectionResult> & { reporter?: unknown }) | null;
  if (result === null || typeof result !== 'object' || typeof result.framework !== 'string') return null;
  return {
    framework: result.framework,
    wrapper_framework: result.wrapper_framework ?? null,
    base_framework: result.base_framework ?? null,
    confidence: typeof result.confidence === 'number' ? result.confidence : 0,
    method: typeof result.method === 'string' ? result.method : 'unknown',
    indicators: Array.isArray(result.indicators) ? result.indicators : [],
    conflicts: Array.isArray(result.conflicts) ? result.conflicts : [],
    detector_version: typeof result.detector_version === 'string' ? result.detector_version : DETECTOR_VERSION,
    // Who sent it: the merge counts one machine's reports as one origin.
    ...(isPlainObject(result.reporter) ? { reporter: result.reporter as Reporter } : {}),
    source: rec.source,
    source_key: rec.source_key,
    reported_at: rec.reported_at,
  };
}

function mergeRecords(workloadUid: string, records: DetectionSourceRecord[], now: number): WorkloadDetectionRecord {
  const sources = records.map(toSourceResult).filter((s): s is SourceResult => s !== null);
  const merged: MergedDetection = { workload_uid: workloadUid, ...mergeWorkload(sources), updated_at: now };
  return {
    workload_uid: workloadUid,
    framework: merged.framework,
    wrapper_framework: merged.wrapper_framework,
    base_framework: merged.base_framework,
    confidence: merged.confidence,
    status: merged.status,
    merged,
    updated_at: now,
  };
}

/** Stores one source (a wandb report or the user's override) and re-merges its workload. */
export async function recordSource(
  store: Store,
  workloadUid: string,
  source: SourceResult,
  evidence: unknown,
  hints: unknown,
  now: number,
): Promise<MergedDetection> {
  const { source: kind, source_key, reported_at, ...result } = source;
  const rec: DetectionSourceRecord = {
    workload_uid: workloadUid,
    source: kind,
    source_key,
    result,
    evidence: evidence ?? null,
    hints: hints ?? null,
    reported_at,
  };
  const saved = await store.recordDetectionSource(rec, (records) => mergeRecords(workloadUid, records, now));
  return saved.merged as MergedDetection;
}

export async function readDetection(store: Store, workloadUid: string): Promise<MergedDetection | null> {
  const rec = await store.getWorkloadDetection(workloadUid);
  if (rec === null) return null;
  const merged = (rec.merged ?? {}) as Partial<MergedDetection>;
  return {
    framework: rec.framework,
    wrapper_framework: rec.wrapper_framework,
    base_framework: rec.base_framework,
    confidence: rec.confidence,
    status: rec.status as MergedDetection['status'],
    method: merged.method ?? 'unknown',
    sources: merged.sources ?? [],
    conflicts: merged.conflicts ?? [],
    workload_uid: workloadUid,
    updated_at: rec.updated_at,
  };
}
