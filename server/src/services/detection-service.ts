// The detection write path shared by the ingest route (a wandb report) and the manual
// override (POST framework-detection): store the source, re-merge every source of the
// workload, save the merged result. A re-report of the same source key replaces the old
// one, so re-delivery never duplicates. Re-merges of one workload are serialised, so two
// concurrent reports cannot save a merge that misses the other's source.
import { DETECTOR_VERSION, mergeWorkload, type DetectionResult, type SourceResult, type WorkloadDetection } from '../detection/index.js';
import type { DetectionSourceRecord, Store } from '../store/types.js';
import { KeyedLock } from './keyed-lock.js';

const mergeLock = new KeyedLock();

/** What GET framework-detection returns (and what is stored as the merged object). */
export interface MergedDetection extends WorkloadDetection {
  workload_uid: string;
  updated_at: number;
}

function toSourceResult(rec: DetectionSourceRecord): SourceResult | null {
  const result = rec.result as Partial<DetectionResult> | null;
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
    source: rec.source,
    source_key: rec.source_key,
    reported_at: rec.reported_at,
  };
}

async function remerge(store: Store, workloadUid: string, now: number): Promise<MergedDetection> {
  const records = await store.listDetectionSources(workloadUid);
  const sources = records.map(toSourceResult).filter((s): s is SourceResult => s !== null);
  const merged: MergedDetection = { workload_uid: workloadUid, ...mergeWorkload(sources), updated_at: now };
  await store.saveWorkloadDetection({
    workload_uid: workloadUid,
    framework: merged.framework,
    wrapper_framework: merged.wrapper_framework,
    base_framework: merged.base_framework,
    confidence: merged.confidence,
    status: merged.status,
    merged,
    updated_at: now,
  });
  return merged;
}

/** Stores one source (a wandb report or the user's override) and re-merges its workload. */
export function recordSource(
  store: Store,
  workloadUid: string,
  source: SourceResult,
  evidence: unknown,
  hints: unknown,
  now: number,
): Promise<MergedDetection> {
  return mergeLock.run(workloadUid, async () => {
    const { source: kind, source_key, reported_at, ...result } = source;
    await store.upsertDetectionSource({
      workload_uid: workloadUid,
      source: kind,
      source_key,
      result,
      evidence: evidence ?? null,
      hints: hints ?? null,
      reported_at,
    });
    return remerge(store, workloadUid, now);
  });
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
