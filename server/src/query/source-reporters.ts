// The merged detection lists its sources as the merge saw them, which is without the reporter
// (pod name, POD_UID, namespace, host, rank, run) each wandb report was stored with. GET
// framework-detection puts it back from the stored sources, so the dashboard can say in the
// job's own words who reported, POD_UID included, instead of showing the bare source key.
import type { MergedDetection } from '../services/detection-service.js';
import type { Store } from '../store/types.js';

function reporterOf(result: unknown): unknown {
  return result !== null && typeof result === 'object' ? (result as { reporter?: unknown }).reporter : undefined;
}

export async function withReporters(store: Store, detection: MergedDetection): Promise<MergedDetection> {
  const stored = await store.listDetectionSources(detection.workload_uid);
  const byKey = new Map(stored.map((rec) => [`${rec.source}\u0000${rec.source_key}`, reporterOf(rec.result)]));
  return {
    ...detection,
    sources: detection.sources.map((s) => {
      const reporter = byKey.get(`${s.source}\u0000${s.source_key}`);
      return reporter === undefined || reporter === null ? s : ({ ...s, reporter } as typeof s);
    }),
  };
}
