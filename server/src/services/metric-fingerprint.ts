// The metric-name fingerprint on the ingest path: the first metric batches of each run are
// read for the names frameworks log by themselves (detection/rules-metrics.ts), and a match is
// stored as a detection source of kind `metrics`, merged with the workload's other sources.
// A workload whose detection report never arrived (an old client, wandb imported in a way no
// hook saw, a stripped environment) still gets a framework this way.
//
// What this replica has looked at is kept in memory, bounded: a run is "settled" after its first
// SETTLE_AFTER_BATCHES batches, and from then on costs one map lookup per batch. A replica that
// restarts, or another replica, may look at a later batch of the same run again; it writes only
// a match, under the same source key, so the stored source is replaced, never duplicated, and a
// batch without the names never erases a match.
import type { FastifyBaseLogger } from 'fastify';
import { confidenceLabel, MAX_FINGERPRINT_NAMES, metricsSource } from '../detection/index.js';
import type { MetricBatch, Store } from '../store/types.js';
import { recordSource } from './detection-service.js';

/** "The first metrics of a run": frameworks log their names from the first logged step on. */
export const SETTLE_AFTER_BATCHES = 16;
/** Runs remembered per replica; the oldest is forgotten first (and at worst looked at again). */
export const MAX_TRACKED_RUNS = 20_000;
/** Names kept as the source's evidence, for a reader. */
const EVIDENCE_NAMES = 64;

interface Seen {
  names: Set<string>;
  batches: number;
  /** The indicators of the last source this replica wrote for the run. */
  written: string;
  settled: boolean;
}

export class MetricFingerprints {
  private readonly runs = new Map<string, Seen>();

  constructor(private readonly store: Store) {}

  /** Number of runs remembered (for tests and bounds). */
  get size(): number {
    return this.runs.size;
  }

  async observe(batch: MetricBatch, log: FastifyBaseLogger): Promise<void> {
    if (batch.points.length === 0) return;
    const who = {
      ...(batch.identity.pod_name !== undefined ? { pod_name: batch.identity.pod_name } : {}),
      ...(batch.identity.pod_uid !== undefined ? { pod_uid: batch.identity.pod_uid } : {}),
      ...(batch.identity.namespace !== undefined ? { namespace: batch.identity.namespace } : {}),
      ...(batch.identity.host !== undefined ? { host: batch.identity.host } : {}),
      rank: batch.rank,
      run_id: batch.run_id,
    };
    const key = `${batch.workload_uid}\u0000${who.pod_name ?? who.pod_uid ?? who.host ?? ''}\u0000${batch.rank}\u0000${batch.run_id}`;
    let seen = this.runs.get(key);
    if (seen?.settled === true) return;
    if (seen === undefined) {
      seen = { names: new Set(), batches: 0, written: '', settled: false };
      this.remember(key, seen);
    }
    for (const point of batch.points) {
      if (seen.names.size >= MAX_FINGERPRINT_NAMES) break;
      seen.names.add(point.name);
    }
    seen.batches += 1;
    const names = [...seen.names];
    if (seen.batches >= SETTLE_AFTER_BATCHES || seen.names.size >= MAX_FINGERPRINT_NAMES) {
      seen.settled = true;
      seen.names = new Set();
    }
    const source = metricsSource(names, who, batch.received_at);
    const fingerprint = JSON.stringify(source.indicators);
    if (source.framework === 'unknown' || fingerprint === seen.written) return;
    const evidence = {
      metric_names: names.sort().slice(0, EVIDENCE_NAMES),
      names_seen: names.length,
      batches_seen: seen.batches,
    };
    try {
      await recordSource(this.store, batch.workload_uid, source, evidence, null, batch.received_at);
      seen.written = fingerprint;
      log.info(
        { workload_uid: batch.workload_uid, run_id: batch.run_id, rank: batch.rank, method: source.method },
        `✓ Detected framework from metric names: ${source.framework} (confidence: ${confidenceLabel(source.confidence)})`,
      );
    } catch (err) {
      // The points are stored; the next batch of the run tries again (it is not settled as written).
      seen.settled = false;
      seen.names = new Set(names);
      log.warn({ err, workload_uid: batch.workload_uid }, 'metric-name detection not stored');
    }
  }

  private remember(key: string, seen: Seen): void {
    this.runs.set(key, seen);
    while (this.runs.size > MAX_TRACKED_RUNS) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined) break;
      this.runs.delete(oldest);
    }
  }
}

const BY_STORE = new WeakMap<Store, MetricFingerprints>();

/** One tracker per store (the /api/v1 and /v1 routes share it). */
export function fingerprintsFor(store: Store): MetricFingerprints {
  let tracker = BY_STORE.get(store);
  if (tracker === undefined) {
    tracker = new MetricFingerprints(store);
    BY_STORE.set(store, tracker);
  }
  return tracker;
}
