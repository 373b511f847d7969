// Run health rows and events on PostgreSQL (tables of migration 2). Every save is a
// compare-and-set on the row's version inside one transaction, so replicas that evaluate the
// same run never overwrite each other: the loser reloads and applies its observations again.
import type pg from 'pg';
import { severitySql, statusOfRank, valueFromText, valueToText, workloadSeveritySql } from '../health-sql.js';
import type { HealthEventRecord, RunHealthKey, RunHealthRecord, RunHealthWrite } from '../types.js';
import { query } from './connection.js';

const COLUMNS = `w.uid AS workload_uid, r.run_id, r.rank, h.namespace, h.version, h.status, h.since, h.stall_at,
  h.lost_at, h.export_until, h.progress, h.updated_at`;
const FROM = 'FROM run_health h JOIN runs r ON r.id = h.run_pk JOIN workloads w ON w.id = h.workload_id';

type Row = Omit<RunHealthRecord, 'progress' | 'state'> & { progress: string; state?: string };

function toRecord(r: Row): RunHealthRecord {
  const { state, progress, ...rest } = r;
  return { ...rest, progress: JSON.parse(progress), state: state === undefined ? null : JSON.parse(state) };
}

export async function getRunHealth(pool: pg.Pool, keys: RunHealthKey[]): Promise<RunHealthRecord[]> {
  if (keys.length === 0) return [];
  const rows = await query<Row>(pool, `SELECT ${COLUMNS}, h.state ${FROM}
    JOIN unnest($1::text[], $2::text[], $3::int[]) AS k(uid, run_id, rank)
      ON w.uid = k.uid AND r.run_id = k.run_id AND r.rank = k.rank`,
  [keys.map((k) => k.workload_uid), keys.map((k) => k.run_id), keys.map((k) => k.rank)]);
  return rows.map(toRecord);
}

export async function saveRunHealth(c: pg.PoolClient, writes: RunHealthWrite[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const w of writes) {
    const rec = w.record;
    const values = [rec.workload_uid, rec.run_id, rec.rank, rec.namespace, rec.status, rec.since, rec.stall_at, rec.lost_at,
      rec.export_until, JSON.stringify(rec.progress), JSON.stringify(rec.state), rec.updated_at];
    const text = w.expected_version === 0
      ? `INSERT INTO run_health (run_pk, workload_id, namespace, version, status, since, stall_at, lost_at, export_until,
           progress, state, updated_at)
         SELECT r.id, r.workload_id, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12
         FROM runs r JOIN workloads w ON w.id = r.workload_id WHERE w.uid = $1 AND r.run_id = $2 AND r.rank = $3
         ON CONFLICT (run_pk) DO NOTHING RETURNING run_pk, workload_id`
      : `UPDATE run_health h SET namespace = $4, version = h.version + 1, status = $5, since = $6, stall_at = $7,
           lost_at = $8, export_until = $9, progress = $10, state = $11, updated_at = $12
         FROM runs r JOIN workloads w ON w.id = r.workload_id
         WHERE h.run_pk = r.id AND w.uid = $1 AND r.run_id = $2 AND r.rank = $3 AND h.version = $13
         RETURNING h.run_pk, h.workload_id`;
    const res = await c.query<{ run_pk: number; workload_id: number }>(text, w.expected_version === 0 ? values : [...values, w.expected_version]);
    const row = res.rows[0];
    if (row === undefined) {
      out.push(false);
      continue;
    }
    if (w.events.length > 0) {
      const e = w.events;
      await c.query(`INSERT INTO health_events (run_pk, workload_id, kind, metric, step, value, at, detail)
        SELECT $1, $2, k, m, s, v, a, d FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::float8[], $8::text[])
          AS t(k, m, s, v, a, d)
        ON CONFLICT (run_pk, kind, metric, step) DO NOTHING`,
      [row.run_pk, row.workload_id, e.map((x) => x.kind), e.map((x) => x.metric ?? ''), e.map((x) => x.step ?? -1),
        e.map((x) => valueToText(x.value)), e.map((x) => x.at), e.map((x) => x.detail)]);
    }
    out.push(true);
  }
  return out;
}

export async function listRunHealth(pool: pg.Pool, workloadUid: string): Promise<RunHealthRecord[]> {
  const rows = await query<Row>(pool, `SELECT ${COLUMNS} ${FROM} WHERE w.uid = $1
    ORDER BY r.first_seen, r.run_id COLLATE "C", r.rank`, [workloadUid]);
  return rows.map(toRecord);
}

export async function listHealthEvents(pool: pg.Pool, workloadUid: string, limit: number): Promise<HealthEventRecord[]> {
  type EventRow = Omit<HealthEventRecord, 'value' | 'metric' | 'step'> & { value: string | null; metric: string; step: number };
  const rows = await query<EventRow>(pool, `SELECT workload_uid, run_id, rank, kind, metric, step, value, at, detail FROM (
      SELECT w.uid AS workload_uid, r.run_id, r.rank, e.kind, e.metric, e.step, e.value, e.at, e.detail, e.id
      FROM health_events e JOIN runs r ON r.id = e.run_pk JOIN workloads w ON w.id = e.workload_id
      WHERE w.uid = $1 ORDER BY e.at DESC, e.id DESC LIMIT $2) x ORDER BY at, id`, [workloadUid, limit]);
  return rows.map((e) => ({ ...e, metric: e.metric === '' ? null : e.metric, step: e.step === -1 ? null : e.step, value: valueFromText(e.value) }));
}

export async function listDueRunHealth(pool: pg.Pool, now: number, limit: number): Promise<RunHealthRecord[]> {
  const rows = await query<Row>(pool, `SELECT ${COLUMNS}, h.state ${FROM}
    WHERE h.run_pk IN (SELECT run_pk FROM run_health WHERE stall_at <= $1 UNION SELECT run_pk FROM run_health WHERE lost_at <= $1)
    LIMIT $2`, [now, limit]);
  return rows.map(toRecord);
}

export async function listExportedRunHealth(pool: pg.Pool, now: number, limit: number): Promise<RunHealthRecord[]> {
  const rows = await query<Row>(pool, `SELECT ${COLUMNS} ${FROM} WHERE h.export_until IS NULL OR h.export_until > $1::float8
    ORDER BY ${severitySql('$1::float8')}, w.uid COLLATE "C", r.run_id COLLATE "C", r.rank LIMIT $2`, [now, limit]);
  return rows.map(toRecord);
}

export async function workloadHealth(pool: pg.Pool, uids: string[], now: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (uids.length === 0) return out;
  const rows = await query<{ uid: string; rank: number }>(pool, `SELECT w.uid, ${workloadSeveritySql('w.id', '$2::float8')} AS rank
    FROM workloads w WHERE w.uid = ANY($1::text[]) AND EXISTS (SELECT 1 FROM run_health h WHERE h.workload_id = w.id)`, [uids, now]);
  for (const r of rows) out[r.uid] = statusOfRank(Number(r.rank));
  return out;
}
