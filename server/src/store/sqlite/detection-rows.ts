// Detection sources and the merged per-workload detection. JSON columns hold whatever
// detection/ produces; the store does not interpret them.
import type Database from 'better-sqlite3';
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
    this.upsertSource.run(
      workloadId,
      rec.source,
      rec.source_key,
      toJson(rec.result),
      toJson(rec.evidence),
      toJson(rec.hints),
      rec.reported_at,
    );
  }

  list(uid: string): DetectionSourceRecord[] {
    const rows = this.listSources.all(uid) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      workload_uid: uid,
      source: r.source as DetectionSourceRecord['source'],
      source_key: r.source_key as string,
      result: fromJson(r.result),
      evidence: fromJson(r.evidence),
      hints: fromJson(r.hints),
      reported_at: r.reported_at as number,
    }));
  }

  save(workloadId: number, rec: WorkloadDetectionRecord): void {
    this.upsertMerged.run(
      workloadId,
      rec.framework,
      rec.wrapper_framework,
      rec.base_framework,
      rec.confidence,
      rec.status,
      toJson(rec.merged),
      rec.updated_at,
    );
  }

  get(uid: string): WorkloadDetectionRecord | null {
    const r = this.getMerged.get(uid) as Record<string, unknown> | undefined;
    if (r === undefined) return null;
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
}

function toJson(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function fromJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : null;
}
