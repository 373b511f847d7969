// Detection sources and the merged per-workload detection. JSON columns hold whatever
// detection/ produces, as text; the store does not interpret them.
import type pg from 'pg';
import type { DetectionSourceRecord, WorkloadDetectionRecord } from '../types.js';
import { query, unavailableOr } from './connection.js';

type Db = pg.Pool | pg.PoolClient;

export async function upsertSource(c: Db, workloadId: number, rec: DetectionSourceRecord): Promise<void> {
  await c.query(
    `INSERT INTO detection_sources (workload_id, source, source_key, result, evidence, hints, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (workload_id, source, source_key) DO UPDATE SET result = excluded.result,
       evidence = excluded.evidence, hints = excluded.hints, reported_at = excluded.reported_at`,
    [workloadId, rec.source, rec.source_key, toJson(rec.result), toJson(rec.evidence), toJson(rec.hints), rec.reported_at],
  );
}

export async function listSources(c: Db, uid: string): Promise<DetectionSourceRecord[]> {
  const sql = `SELECT d.source, d.source_key, d.result, d.evidence, d.hints, d.reported_at
    FROM detection_sources d JOIN workloads w ON w.id = d.workload_id WHERE w.uid = $1
    ORDER BY d.source COLLATE "C", d.source_key COLLATE "C"`;
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await c.query<Record<string, unknown>>(sql, [uid])).rows;
  } catch (err) {
    throw unavailableOr(err);
  }
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

export async function saveMerged(c: Db, workloadId: number, rec: WorkloadDetectionRecord): Promise<void> {
  await c.query(
    `INSERT INTO workload_detection (workload_id, framework, wrapper_framework, base_framework, confidence, status, merged, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (workload_id) DO UPDATE SET framework = excluded.framework, wrapper_framework = excluded.wrapper_framework,
       base_framework = excluded.base_framework, confidence = excluded.confidence, status = excluded.status,
       merged = excluded.merged, updated_at = excluded.updated_at`,
    [
      workloadId,
      rec.framework,
      rec.wrapper_framework,
      rec.base_framework,
      rec.confidence,
      rec.status,
      toJson(rec.merged),
      rec.updated_at,
    ],
  );
}

export async function getMerged(pool: pg.Pool, uid: string): Promise<WorkloadDetectionRecord | null> {
  const [r] = await query<Record<string, unknown>>(
    pool,
    'SELECT d.* FROM workload_detection d JOIN workloads w ON w.id = d.workload_id WHERE w.uid = $1',
    [uid],
  );
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

function toJson(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function fromJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : null;
}
