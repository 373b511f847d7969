// Run health rows and events on SQLite (tables of migration 4). Saves are compare-and-set on
// the row's version, so the same code is correct when several writers share a database.
import type Database from 'better-sqlite3';
import { type HealthEventRow, type HealthRow, healthEvent, healthRecord } from '../health-records.js';
import { HEALTH_COLUMNS, HEALTH_FROM, severitySql, statusOfRank, valueToText, workloadSeveritySql } from '../health-sql.js';
import type { HealthEventRecord, RunHealthKey, RunHealthRecord, RunHealthWrite } from '../types.js';

export class HealthRows {
  private readonly runOf;
  private readonly one;
  private readonly insert;
  private readonly update;
  private readonly insertEvent;
  private readonly ofWorkload;
  private readonly events;
  private readonly due;
  private readonly exported;
  private readonly worst;

  constructor(db: Database.Database) {
    this.runOf = db.prepare(`SELECT r.id AS run_pk, r.workload_id FROM runs r JOIN workloads w ON w.id = r.workload_id
      WHERE w.uid = ? AND r.run_id = ? AND r.rank = ?`);
    this.one = db.prepare(`SELECT ${HEALTH_COLUMNS}, h.state ${HEALTH_FROM} WHERE w.uid = ? AND r.run_id = ? AND r.rank = ?`);
    this.insert = db.prepare(`INSERT INTO run_health (run_pk, workload_id, namespace, version, status, since, stall_at,
        lost_at, export_until, progress, state, updated_at)
      VALUES (@run_pk, @workload_id, @namespace, 1, @status, @since, @stall_at, @lost_at, @export_until, @progress, @state, @updated_at)
      ON CONFLICT (run_pk) DO NOTHING`);
    this.update = db.prepare(`UPDATE run_health SET namespace = @namespace, version = version + 1, status = @status,
        since = @since, stall_at = @stall_at, lost_at = @lost_at, export_until = @export_until, progress = @progress,
        state = @state, updated_at = @updated_at
      WHERE run_pk = @run_pk AND version = @expected`);
    this.insertEvent = db.prepare(`INSERT INTO health_events (run_pk, workload_id, kind, metric, step, value, at, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_pk, kind, metric, step) DO NOTHING`);
    this.ofWorkload = db.prepare(
      `SELECT ${HEALTH_COLUMNS} ${HEALTH_FROM} WHERE w.uid = ? ORDER BY r.first_seen, r.run_id, r.rank`,
    );
    this.events = db.prepare(`SELECT * FROM (SELECT w.uid AS workload_uid, r.run_id, r.rank, e.kind, e.metric, e.step, e.value,
        e.at, e.detail, e.id FROM health_events e JOIN runs r ON r.id = e.run_pk JOIN workloads w ON w.id = e.workload_id
      WHERE w.uid = ? ORDER BY e.at DESC, e.id DESC LIMIT ?) ORDER BY at, id`);
    this.due = db.prepare(`SELECT ${HEALTH_COLUMNS}, h.state ${HEALTH_FROM}
      WHERE h.run_pk IN (SELECT run_pk FROM run_health WHERE stall_at <= @now
        UNION SELECT run_pk FROM run_health WHERE lost_at <= @now) LIMIT @limit`);
    this.exported = db.prepare(`SELECT ${HEALTH_COLUMNS} ${HEALTH_FROM} WHERE h.export_until IS NULL OR h.export_until > @now
      ORDER BY ${severitySql('@now')}, w.uid, r.run_id, r.rank LIMIT @limit`);
    this.worst = db.prepare(`SELECT w.uid AS uid, ${workloadSeveritySql('w.id', '@now')} AS rank
      FROM workloads w WHERE w.uid IN (SELECT value FROM json_each(@uids))
        AND EXISTS (SELECT 1 FROM run_health h WHERE h.workload_id = w.id)`);
  }

  get(keys: RunHealthKey[]): RunHealthRecord[] {
    const out: RunHealthRecord[] = [];
    for (const k of keys) {
      const r = this.one.get(k.workload_uid, k.run_id, k.rank) as HealthRow | undefined;
      if (r !== undefined) out.push(healthRecord(r));
    }
    return out;
  }

  /** Runs inside the caller's transaction. */
  save(writes: RunHealthWrite[]): boolean[] {
    return writes.map((w) => {
      const rec = w.record;
      const run = this.runOf.get(rec.workload_uid, rec.run_id, rec.rank) as { run_pk: number; workload_id: number } | undefined;
      if (run === undefined) return false;
      const params = {
        ...run,
        namespace: rec.namespace,
        status: rec.status,
        since: rec.since,
        stall_at: rec.stall_at,
        lost_at: rec.lost_at,
        export_until: rec.export_until,
        progress: JSON.stringify(rec.progress),
        state: JSON.stringify(rec.state),
        updated_at: rec.updated_at,
        expected: w.expected_version,
      };
      const applied = w.expected_version === 0 ? this.insert.run(params).changes : this.update.run(params).changes;
      if (applied !== 1) return false;
      for (const e of w.events) {
        this.insertEvent.run(
          run.run_pk,
          run.workload_id,
          e.kind,
          e.metric ?? '',
          e.step ?? -1,
          valueToText(e.value),
          e.at,
          e.detail,
        );
      }
      return true;
    });
  }

  list(workloadUid: string): RunHealthRecord[] {
    return (this.ofWorkload.all(workloadUid) as HealthRow[]).map(healthRecord);
  }

  listEvents(workloadUid: string, limit: number): HealthEventRecord[] {
    const rows = this.events.all(workloadUid, limit) as Array<HealthEventRow & { id: number }>;
    return rows.map(({ id: _id, ...e }) => healthEvent(e));
  }

  listDue(now: number, limit: number): RunHealthRecord[] {
    return (this.due.all({ now, limit }) as HealthRow[]).map(healthRecord);
  }

  listExported(now: number, limit: number): RunHealthRecord[] {
    return (this.exported.all({ now, limit }) as HealthRow[]).map(healthRecord);
  }

  workloadHealth(uids: string[], now: number): Record<string, string> {
    const out: Record<string, string> = {};
    if (uids.length === 0) return out;
    for (const r of this.worst.all({ uids: JSON.stringify(uids), now }) as Array<{ uid: string; rank: number }>) {
      out[r.uid] = statusOfRank(r.rank);
    }
    return out;
  }
}
