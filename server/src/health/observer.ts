// What ingest needs from health evaluation: two synchronous hand-offs that never throw and
// never wait (HealthService implements them). Kept apart so ingest depends on nothing else.
import type { MetricBatch, RunUpsert } from '../store/types.js';

export interface HealthObserver {
  observeBatch(batch: MetricBatch): void;
  observeRun(run: RunUpsert): void;
}
