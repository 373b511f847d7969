// Run health rows and events on PostgreSQL (tables of migration 3). Every save is a
// compare-and-set on the row's version inside one transaction, so replicas that evaluate the
// same run never overwrite each other: the loser reloads and applies its observations again.
import type pg from 'pg';
import { type HealthEventRow, type HealthRow, healthEvent, healthRecord } from '../health-records.js';
import { HEALTH_COLUMNS, HEALTH_FROM, severitySql, statusOfRank, valueToText, workloadSeveritySql } from '../health-sql.js';
import type { HealthEventRecord, RunHealthKey, RunHealthRecord, RunHealthWrite } from '../types.js';
import { query } from './connection.js';

export async function getRunHealth(pool: pg.Pool, keys: RunHealthKey[]): Promise<RunHealthRecord[]> {
  if (keys.length === 0) return [];
  const rows = await query<HealthRow>(
    pool,
    `SELECT ${HEALTH_COLUMNS}, h.state ${HEALTH_FROM}
    JOIN unnest($1::text[], $2::text[], $3::int[]) AS k(uid, run_id, rank)
      ON w.uid = k.uid AND r.run_id = k.run_id AND r.rank = k.rank`,
    [keys.map((k) => k.workload_uid), keys.map((k) => k.run_id), keys.map((k) => k.rank)],
  );
  return rows.map(healthRecord);
}

/**
 * All writes in two statements, whatever their number: one compare-and-set for every row
 * (UPDATE where the version still matches, INSERT for a first save), then the events of the
 * rows that were applied. Round trips, not rows, are what a flush of 1,000 runs would wait on.
 */
export async function saveRunHealth(c: pg.PoolClient, writes: RunHealthWrite[]): Promise<boolean[]> {
  // Writes of one run apply in order, as separate statements (an UPDATE touches a row once).
  const out: boolean[] = new Array<boolean>(writes.length).fill(false);
  let rest = writes.map((w, i) => ({ w, i }));
  while (rest.length > 0) {
    const seen = new Set<string>();
    const round: typeof rest = [];
    const later: typeof rest = [];
    for (const x of rest) {
      const key = `${x.w.record.workload_uid}\u0000${x.w.record.run_id}\u0000${x.w.record.rank}`;
      (seen.has(key) ? later : round).push(x);
      seen.add(key);
    }
    const applied = await saveRound(
      c,
      round.map((x) => x.w),
    );
    for (const [k, x] of round.entries()) out[x.i] = applied[k] as boolean;
    rest = later;
  }
  return out;
}

async function saveRound(c: pg.PoolClient, writes: RunHealthWrite[]): Promise<boolean[]> {
  const col = <T>(f: (w: RunHealthWrite) => T): T[] => writes.map(f);
  const res = await c.query<{ ord: number; run_pk: number; workload_id: number }>(
    `
    WITH input AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::float8[],
        $8::float8[], $9::float8[], $10::text[], $11::text[], $12::float8[], $13::bigint[])
        WITH ORDINALITY AS i(uid, run_id, rank, namespace, status, since, stall_at, lost_at, export_until, progress, state,
          updated_at, expected, ord)),
    target AS (
      SELECT i.*, r.id AS run_pk, r.workload_id FROM input i
      JOIN workloads w ON w.uid = i.uid JOIN runs r ON r.workload_id = w.id AND r.run_id = i.run_id AND r.rank = i.rank),
    updated AS (
      UPDATE run_health h SET namespace = t.namespace, version = h.version + 1, status = t.status, since = t.since,
        stall_at = t.stall_at, lost_at = t.lost_at, export_until = t.export_until, progress = t.progress, state = t.state,
        updated_at = t.updated_at
      FROM target t WHERE t.expected > 0 AND h.run_pk = t.run_pk AND h.version = t.expected
      RETURNING t.ord, h.run_pk, h.workload_id),
    inserted AS (
      INSERT INTO run_health (run_pk, workload_id, namespace, version, status, since, stall_at, lost_at, export_until,
        progress, state, updated_at)
      SELECT run_pk, workload_id, namespace, 1, status, since, stall_at, lost_at, export_until, progress, state, updated_at
      FROM target WHERE expected = 0
      ON CONFLICT (run_pk) DO NOTHING RETURNING run_pk, workload_id)
    SELECT ord, run_pk, workload_id FROM updated
    UNION ALL SELECT t.ord, n.run_pk, n.workload_id FROM inserted n JOIN target t ON t.run_pk = n.run_pk`,
    [
      col((w) => w.record.workload_uid),
      col((w) => w.record.run_id),
      col((w) => w.record.rank),
      col((w) => w.record.namespace),
      col((w) => w.record.status),
      col((w) => w.record.since),
      col((w) => w.record.stall_at),
      col((w) => w.record.lost_at),
      col((w) => w.record.export_until),
      col((w) => JSON.stringify(w.record.progress)),
      col((w) => JSON.stringify(w.record.state)),
      col((w) => w.record.updated_at),
      col((w) => w.expected_version),
    ],
  );
  const applied = new Map(res.rows.map((r) => [Number(r.ord) - 1, r]));
  const events: Array<{ run_pk: number; workload_id: number; e: HealthEventRecord }> = [];
  writes.forEach((w, i) => {
    const row = applied.get(i);
    if (row !== undefined) for (const e of w.events) events.push({ run_pk: row.run_pk, workload_id: row.workload_id, e });
  });
  if (events.length > 0) {
    await c.query(
      `INSERT INTO health_events (run_pk, workload_id, kind, metric, step, value, at, detail)
      SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::float8[], $8::text[])
      ON CONFLICT (run_pk, kind, metric, step) DO NOTHING`,
      [
        events.map((x) => x.run_pk),
        events.map((x) => x.workload_id),
        events.map((x) => x.e.kind),
        events.map((x) => x.e.metric ?? ''),
        events.map((x) => x.e.step ?? -1),
        events.map((x) => valueToText(x.e.value)),
        events.map((x) => x.e.at),
        events.map((x) => x.e.detail),
      ],
    );
  }
  return writes.map((_w, i) => applied.has(i));
}

export async function listRunHealth(pool: pg.Pool, workloadUid: string): Promise<RunHealthRecord[]> {
  const rows = await query<HealthRow>(
    pool,
    `SELECT ${HEALTH_COLUMNS} ${HEALTH_FROM} WHERE w.uid = $1
    ORDER BY r.first_seen, r.run_id COLLATE "C", r.rank`,
    [workloadUid],
  );
  return rows.map(healthRecord);
}

export async function listHealthEvents(pool: pg.Pool, workloadUid: string, limit: number): Promise<HealthEventRecord[]> {
  const rows = await query<HealthEventRow>(
    pool,
    `SELECT workload_uid, run_id, rank, kind, metric, step, value, at, detail FROM (
      SELECT w.uid AS workload_uid, r.run_id, r.rank, e.kind, e.metric, e.step, e.value, e.at, e.detail, e.id
      FROM health_events e JOIN runs r ON r.id = e.run_pk JOIN workloads w ON w.id = e.workload_id
      WHERE w.uid = $1 ORDER BY e.at DESC, e.id DESC LIMIT $2) x ORDER BY at, id`,
    [workloadUid, limit],
  );
  return rows.map(healthEvent);
}

export async function listDueRunHealth(pool: pg.Pool, now: number, limit: number): Promise<RunHealthRecord[]> {
  const rows = await query<HealthRow>(
    pool,
    `SELECT ${HEALTH_COLUMNS}, h.state ${HEALTH_FROM}
    WHERE h.run_pk IN (SELECT run_pk FROM run_health WHERE stall_at <= $1 UNION SELECT run_pk FROM run_health WHERE lost_at <= $1)
    LIMIT $2`,
    [now, limit],
  );
  return rows.map(healthRecord);
}

export async function listExportedRunHealth(pool: pg.Pool, now: number, limit: number): Promise<RunHealthRecord[]> {
  const rows = await query<HealthRow>(
    pool,
    `SELECT ${HEALTH_COLUMNS} ${HEALTH_FROM} WHERE h.export_until IS NULL OR h.export_until > $1::float8
    ORDER BY ${severitySql('$1::float8')}, w.uid COLLATE "C", r.run_id COLLATE "C", r.rank LIMIT $2`,
    [now, limit],
  );
  return rows.map(healthRecord);
}

export async function workloadHealth(pool: pg.Pool, uids: string[], now: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (uids.length === 0) return out;
  const rows = await query<{ uid: string; rank: number }>(
    pool,
    `SELECT w.uid, ${workloadSeveritySql('w.id', '$2::float8')} AS rank
    FROM workloads w WHERE w.uid = ANY($1::text[]) AND EXISTS (SELECT 1 FROM run_health h WHERE h.workload_id = w.id)`,
    [uids, now],
  );
  for (const r of rows) out[r.uid] = statusOfRank(Number(r.rank));
  return out;
}
