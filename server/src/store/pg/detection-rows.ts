// Detection sources and the merged per-workload detection (column values and records: row-records.ts).
import type pg from 'pg';
import { mergedRecord, mergedValues, sourceRecord, sourceValues } from '../row-records.js';
import type { DetectionSourceRecord, WorkloadDetectionRecord } from '../types.js';
import { query, unavailableOr } from './connection.js';

type Db = pg.Pool | pg.PoolClient;

export async function upsertSource(c: Db, workloadId: number, rec: DetectionSourceRecord): Promise<void> {
  await c.query(
    `INSERT INTO detection_sources (workload_id, source, source_key, result, evidence, hints, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (workload_id, source, source_key) DO UPDATE SET result = excluded.result,
       evidence = excluded.evidence, hints = excluded.hints, reported_at = excluded.reported_at`,
    [workloadId, ...sourceValues(rec)],
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
  return rows.map((r) => sourceRecord(uid, r));
}

export async function saveMerged(c: Db, workloadId: number, rec: WorkloadDetectionRecord): Promise<void> {
  await c.query(
    `INSERT INTO workload_detection (workload_id, framework, wrapper_framework, base_framework, confidence, status, merged, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (workload_id) DO UPDATE SET framework = excluded.framework, wrapper_framework = excluded.wrapper_framework,
       base_framework = excluded.base_framework, confidence = excluded.confidence, status = excluded.status,
       merged = excluded.merged, updated_at = excluded.updated_at`,
    [workloadId, ...mergedValues(rec)],
  );
}

export async function getMerged(pool: pg.Pool, uid: string): Promise<WorkloadDetectionRecord | null> {
  const [r] = await query<Record<string, unknown>>(
    pool,
    'SELECT d.* FROM workload_detection d JOIN workloads w ON w.id = d.workload_id WHERE w.uid = $1',
    [uid],
  );
  return r === undefined ? null : mergedRecord(uid, r);
}
