// Detection sources and the merged per-workload detection (column values and records: row-records.ts).
import type Database from 'better-sqlite3';
import { mergedRecord, mergedValues, sourceRecord, sourceValues } from '../row-records.js';
import type { DetectionSourceRecord, WorkloadDetectionRecord } from '../types.js';

export class DetectionRows {
  private readonly upsertSource;
  private readonly listSources;
  private readonly upsertMerged;
  private readonly getMerged;

  constructor(db: Database.Database) {
    this.upsertSource = db.prepare(`INSERT INTO detection_sources (workload_id, source, source_key, result, evidence,
        hints, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (workload_id, source, source_key) DO UPDATE SET result = excluded.result,
        evidence = excluded.evidence, hints = excluded.hints, reported_at = excluded.reported_at`);
    this.listSources = db.prepare(`SELECT d.source, d.source_key, d.result, d.evidence, d.hints, d.reported_at
      FROM detection_sources d JOIN workloads w ON w.id = d.workload_id WHERE w.uid = ?
      ORDER BY d.source, d.source_key`);
    this.upsertMerged = db.prepare(`INSERT OR REPLACE INTO workload_detection (workload_id, framework, wrapper_framework,
      base_framework, confidence, status, merged, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.getMerged = db.prepare(`SELECT d.* FROM workload_detection d JOIN workloads w ON w.id = d.workload_id
      WHERE w.uid = ?`);
  }

  upsert(workloadId: number, rec: DetectionSourceRecord): void {
    this.upsertSource.run(workloadId, ...sourceValues(rec));
  }

  list(uid: string): DetectionSourceRecord[] {
    return (this.listSources.all(uid) as Array<Record<string, unknown>>).map((r) => sourceRecord(uid, r));
  }

  save(workloadId: number, rec: WorkloadDetectionRecord): void {
    this.upsertMerged.run(workloadId, ...mergedValues(rec));
  }

  get(uid: string): WorkloadDetectionRecord | null {
    const r = this.getMerged.get(uid) as Record<string, unknown> | undefined;
    return r === undefined ? null : mergedRecord(uid, r);
  }
}
