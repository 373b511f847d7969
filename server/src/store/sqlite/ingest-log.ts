// Staged ingest: a batch is made durable as one row of an append-only log, acknowledged, and
// written into the series tables later, many batches per transaction.
//
// Why: what a commit costs grows with the number of series it touches (one `points` leaf, one
// chunk row and one summary row each, all rewritten to the WAL), hardly with the number of
// points. Clients that send ~100 points per request, 8 requests in flight, cap a commit at
// ~800 points over ~160 series: 5 points per series per commit, against 50 with 1,000-point
// requests, and each point then costs 2.5x the CPU (test/store/commit-size.ts). A log row costs
// a few pages per commit whatever it holds; the series tables are then written ~10,000 points
// at a time, at the per-point cost of large requests.
//
// Nothing acknowledged is ever invisible or lost: SqliteStore applies what is pending before
// every read and every other write, and replays the log when it opens (after a crash).
import type Database from 'better-sqlite3';
import type { MetricBatch, PointInput } from '../types.js';

export interface LogEntry {
  id: number;
  batch: MetricBatch;
}

/** Point fields per point in the blob: name index, step, value, wall time (float64 each). */
const FIELDS = 4;

export interface BatchShape {
  /** Distinct (name, step) pairs: what writeMetrics reports as written. */
  written: number;
  /** Distinct names: the series the batch touches. */
  names: number;
}

/** Distinct (name, step) pairs and distinct names of a batch's points. */
export function batchShape(points: readonly PointInput[]): BatchShape {
  // Steps usually rise within each name; only a batch where they do not pays for a set.
  const last = new Map<string, number>();
  let ordered = true;
  for (const p of points) {
    const prev = last.get(p.name);
    if (prev !== undefined && p.step <= prev) ordered = false;
    last.set(p.name, p.step);
  }
  if (ordered) return { written: points.length, names: last.size };
  const seen = new Set<string>();
  for (const p of points) seen.add(`${p.step}\u0000${p.name}`);
  return { written: seen.size, names: last.size };
}

export function encodeBatch(b: MetricBatch): { meta: string; blob: Buffer } {
  const names: string[] = [];
  const index = new Map<string, number>();
  const data = new Float64Array(b.points.length * FIELDS);
  let o = 0;
  for (const p of b.points) {
    let i = index.get(p.name);
    if (i === undefined) {
      i = names.length;
      names.push(p.name);
      index.set(p.name, i);
    }
    data[o] = i;
    data[o + 1] = p.step;
    data[o + 2] = p.value; // float64 keeps NaN and ±Infinity, which JSON cannot
    data[o + 3] = p.wall_time;
    o += FIELDS;
  }
  const { points: _points, ...rest } = b;
  return { meta: JSON.stringify({ ...rest, names }), blob: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

export function decodeBatch(meta: string, blob: Buffer): MetricBatch {
  const { names, ...rest } = JSON.parse(meta) as Omit<MetricBatch, 'points'> & { names: string[] };
  if (blob.byteLength % (FIELDS * 8) !== 0) throw new Error(`points blob of ${blob.byteLength} bytes`);
  const data = new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  const points: PointInput[] = [];
  for (let o = 0; o < data.length; o += FIELDS) {
    const name = names[data[o] as number];
    if (name === undefined) throw new Error(`name index ${data[o]} out of range`);
    points.push({ name, step: data[o + 1] as number, value: data[o + 2] as number, wall_time: data[o + 3] as number });
  }
  return { ...rest, points };
}

export class IngestLog {
  private readonly insert;
  private readonly deleteRange;
  private readonly markFailedRow;
  private readonly selectPending;
  private pending: LogEntry[] = [];
  private points = 0;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO ingest_log (meta, points) VALUES (?, ?)');
    this.deleteRange = db.prepare('DELETE FROM ingest_log WHERE id BETWEEN ? AND ? AND failed IS NULL');
    this.markFailedRow = db.prepare('UPDATE ingest_log SET failed = ? WHERE id = ?');
    this.selectPending = db.prepare('SELECT id, meta, points FROM ingest_log WHERE failed IS NULL ORDER BY id');
  }

  /** Points written to the log and not yet to the series tables. */
  get pendingPoints(): number {
    return this.points;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Inside the caller's transaction; the entry becomes pending only once that commits (`enqueue`). */
  write(b: MetricBatch): LogEntry {
    const { meta, blob } = encodeBatch(b);
    return { id: Number(this.insert.run(meta, blob).lastInsertRowid), batch: b };
  }

  enqueue(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      this.pending.push(e);
      this.points += e.batch.points.length;
    }
  }

  /**
   * Reads rows left by a previous process (a crash, or a backup taken mid-stream). A row that
   * cannot be read is marked failed and left for the operator; the others are enqueued.
   */
  recover(): string[] {
    const rows = this.selectPending.all() as Array<{ id: number; meta: string; points: Buffer }>;
    const problems: string[] = [];
    for (const r of rows) {
      try {
        this.enqueue([{ id: r.id, batch: decodeBatch(r.meta, r.points) }]);
      } catch (err) {
        this.markFailedRow.run(`unreadable: ${String(err)}`.slice(0, 1000), r.id);
        problems.push(`ingest_log row ${r.id} is unreadable (${String(err)})`);
      }
    }
    return problems;
  }

  /** The oldest pending entries, at least one, up to `maxPoints` points; removed from pending. */
  take(maxPoints: number): LogEntry[] {
    let n = 0;
    let units = 0;
    while (n < this.pending.length) {
      const w = (this.pending[n] as LogEntry).batch.points.length;
      if (n > 0 && units + w > maxPoints) break;
      units += w;
      n += 1;
    }
    this.points -= units;
    return this.pending.splice(0, n);
  }

  /** Puts entries back at the head (their apply did not commit). */
  restore(entries: readonly LogEntry[]): void {
    this.pending.unshift(...entries);
    for (const e of entries) this.points += e.batch.points.length;
  }

  /** Inside the apply transaction: the applied rows leave the log in the same commit. */
  remove(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    this.deleteRange.run((entries[0] as LogEntry).id, (entries[entries.length - 1] as LogEntry).id);
  }

  /** Keeps a row that cannot be applied, for the operator, and stops retrying it. */
  markFailed(entry: LogEntry, reason: string): void {
    this.markFailedRow.run(reason.slice(0, 1000), entry.id);
  }
}

/** A batch as the apply writes it: possibly several logged batches of one run merged. */
export type MergedBatch = MetricBatch & { first_received_at?: number };

/**
 * The batches of one apply with those of the same run (workload, run id, rank, identity and
 * run info alike) merged into one, in log order: a series then gets its points in one append,
 * and its run, pod and workload rows one upsert per apply instead of one per request. Points
 * are concatenated in log order, so a step sent twice keeps the later value, as applying the
 * batches one by one would. A batch that changes the run's state is never merged: it stays in
 * its place, after what came before it and before what comes after.
 */
export function mergeForApply(batches: readonly MetricBatch[]): MergedBatch[] {
  const out: MergedBatch[] = [];
  // Per run, the group later batches of that run may join: only while nothing about the run
  // differs, so the order of what is written to one series never changes.
  const open = new Map<string, { sig: string; merged: MergedBatch }>();
  for (const b of batches) {
    const run = `${b.workload_uid}\u0000${b.run_id}\u0000${b.rank}`;
    if (b.run_state !== undefined) {
      open.delete(run);
      out.push(b);
      continue;
    }
    const sig = JSON.stringify([b.identity, b.run ?? null]);
    const group = open.get(run);
    if (group === undefined || group.sig !== sig) {
      const merged: MergedBatch = { ...b, points: b.points.slice(), first_received_at: b.received_at };
      open.set(run, { sig, merged });
      out.push(merged);
      continue;
    }
    const merged = group.merged;
    for (const p of b.points) merged.points.push(p);
    merged.received_at = Math.max(merged.received_at, b.received_at);
    merged.first_received_at = Math.min(merged.first_received_at ?? b.received_at, b.received_at);
  }
  return out;
}
