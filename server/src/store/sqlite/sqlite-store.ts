// The SQLite implementation of Store (better-sqlite3, WAL).
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A committed transaction survives
// a crash of this process (it is in the WAL file); a power loss or OS crash may lose the
// last transactions committed before the WAL was synced (milliseconds). FULL would sync
// every commit and costs ~7x in write throughput.
//
// Metric batches are staged (ingest-log.ts): the group commit writes each batch as one log row
// and acknowledges; the log is applied to the series tables in transactions of ~10,000 points,
// as soon as that much is pending or 250 ms after the first pending batch, and always before
// a read, another write, retention or close, so nothing acknowledged is ever invisible.
import Database from 'better-sqlite3';
import { GroupCommitQueue } from '../group-commit.js';
import type {
  DetectionSourceRecord,
  HealthEventRecord,
  MetricBatch,
  MetricSummary,
  NewToken,
  RawPoint,
  RawPointsQuery,
  RetentionResult,
  RunHealthKey,
  RunHealthRecord,
  RunHealthWrite,
  RunRow,
  RunUpsert,
  Series,
  SeriesQuery,
  StepTimesQuery,
  Store,
  StoreOptions,
  StorePressure,
  TokenRecord,
  WorkloadDetail,
  WorkloadDetectionRecord,
  WorkloadFilter,
  WorkloadRow,
} from '../types.js';
import { assertValidBatch } from '../validate-batch.js';
import { AccessRows } from './access-rows.js';
import { BatchWriter } from './batch-writer.js';
import { DetectionRows } from './detection-rows.js';
import { HealthRows } from './health-rows.js';
import { batchShape, IngestLog, type LogEntry, mergeForApply } from './ingest-log.js';
import { LogApplier } from './log-applier.js';
import { applyMigrations } from './migrate.js';
import { RawQueries } from './raw-queries.js';
import { POINTS_PER_SLICE, Retention } from './retention.js';
import { SeriesReader } from './series-query.js';
import { WorkloadQueries } from './workload-queries.js';

const DEFAULT_MAX_QUEUED_POINTS = 500_000;
// Bounds one synchronous commit (and so the event-loop stall it causes).
const MAX_POINTS_PER_COMMIT = 25_000;
// A commit that brings at least this many points per series it touches is written straight
// into the series tables: staging it in the log would only add work (test/store/commit-size.ts).
const DIRECT_POINTS_PER_SERIES = 20;

export class SqliteStore implements Store {
  private readonly writer: BatchWriter;
  private readonly reader: SeriesReader;
  private readonly workloads: WorkloadQueries;
  private readonly detection: DetectionRows;
  private readonly raw: RawQueries;
  private readonly retention: Retention;
  private readonly access: AccessRows;
  private readonly health: HealthRows;
  private readonly queue: GroupCommitQueue<MetricBatch, { written: number }>;
  private readonly log: IngestLog;
  private readonly applier: LogApplier;
  private closed = false;
  private readonly retentionSlicePoints: number;

  /** Opens (creating if needed) and migrates the database at `path` (a file or ':memory:'). */
  static open(path: string, opts: StoreOptions = {}): SqliteStore {
    const db = new Database(path);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      if (path !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536'); // 64 MiB page cache
      db.pragma('temp_store = MEMORY');
      // Checkpoint every ~40 MiB of WAL instead of 4 MiB: a page rewritten by many group
      // commits is copied back to the database once, not once per commit.
      db.pragma('wal_autocheckpoint = 10000');
      applyMigrations(db);
      const store = new SqliteStore(db, opts);
      store.applier.recover();
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    opts: StoreOptions,
  ) {
    this.writer = new BatchWriter(db);
    this.reader = new SeriesReader(db);
    this.workloads = new WorkloadQueries(db);
    this.detection = new DetectionRows(db);
    this.raw = new RawQueries(db);
    this.retention = new Retention(db, this.writer.series);
    this.access = new AccessRows(db);
    this.health = new HealthRows(db);
    this.retentionSlicePoints = opts.retentionSlicePoints ?? POINTS_PER_SLICE;
    this.log = new IngestLog(db);
    const logMany = db.transaction((items: MetricBatch[]) => items.map((b) => this.log.write(b)));
    const applyMany = db.transaction((entries: LogEntry[]) => {
      for (const b of mergeForApply(entries.map((e) => e.batch))) this.writer.writeMetrics(b);
      this.writer.series.flush();
      this.log.remove(entries);
    });
    this.applier = new LogApplier(
      this.log,
      (entries) => this.guard(() => applyMany(entries)),
      opts.onBackgroundError ?? ((err) => console.error('lens store: applying the ingest log failed:', err)),
    );
    const writeMany = db.transaction((items: MetricBatch[]) => {
      const results = items.map((b) => ({ written: this.writer.writeMetrics(b) }));
      this.writer.series.flush();
      return results;
    });
    this.queue = new GroupCommitQueue<MetricBatch, { written: number }>(
      (items) => {
        const shapes = items.map((b) => batchShape(b.points));
        const points = items.reduce((n, b) => n + b.points.length, 0);
        const series = shapes.reduce((n, s) => n + s.names, 0);
        if (points >= DIRECT_POINTS_PER_SERIES * series) {
          // Already as efficient as an apply would be: write directly, after what is staged.
          this.applier.settle();
          return this.guard(() => writeMany(items));
        }
        this.log.enqueue(logMany(items));
        this.applier.afterCommit();
        return shapes.map((s) => ({ written: s.written }));
      },
      {
        maxQueued: opts.maxQueuedPoints ?? DEFAULT_MAX_QUEUED_POINTS,
        maxPerCommit: MAX_POINTS_PER_COMMIT,
        retryAfterSeconds: opts.retryAfterSeconds ?? 1,
      },
    );
  }

  async migrate(): Promise<void> {
    applyMigrations(this.db);
  }

  writeMetrics(batch: MetricBatch): Promise<{ written: number }> {
    try {
      assertValidBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.submit(batch, Math.max(1, batch.points.length));
  }

  async upsertRun(run: RunUpsert): Promise<void> {
    this.applier.settle();
    this.write(() => this.writer.upsertRun(run));
  }

  async upsertDetectionSource(rec: DetectionSourceRecord): Promise<void> {
    this.applier.settle();
    this.write(() => this.detection.upsert(this.writer.touchWorkload(rec.workload_uid, rec.reported_at), rec));
  }

  async recordDetectionSource(
    rec: DetectionSourceRecord,
    merge: (sources: DetectionSourceRecord[]) => WorkloadDetectionRecord,
  ): Promise<WorkloadDetectionRecord> {
    this.applier.settle();
    // One synchronous transaction: nothing else can run between the read and the save.
    let saved: WorkloadDetectionRecord | undefined;
    this.write(() => {
      const wid = this.writer.touchWorkload(rec.workload_uid, rec.reported_at);
      this.detection.upsert(wid, rec);
      saved = merge(this.detection.list(rec.workload_uid));
      this.detection.save(this.writer.touchWorkload(saved.workload_uid, saved.updated_at), saved);
    });
    return saved!;
  }

  async listDetectionSources(workloadUid: string): Promise<DetectionSourceRecord[]> {
    return this.detection.list(workloadUid);
  }

  async saveWorkloadDetection(rec: WorkloadDetectionRecord): Promise<void> {
    this.applier.settle();
    this.write(() => this.detection.save(this.writer.touchWorkload(rec.workload_uid, rec.updated_at), rec));
  }

  async getWorkloadDetection(workloadUid: string): Promise<WorkloadDetectionRecord | null> {
    return this.detection.get(workloadUid);
  }

  async listWorkloads(filter: WorkloadFilter): Promise<{ total: number; workloads: WorkloadRow[] }> {
    this.applier.settle();
    return this.workloads.listWorkloads(filter);
  }

  async getWorkload(workloadUid: string): Promise<WorkloadDetail | null> {
    this.applier.settle();
    return this.workloads.getWorkload(workloadUid);
  }

  async listRuns(workloadUid: string): Promise<RunRow[]> {
    this.applier.settle();
    return this.workloads.listRuns(workloadUid);
  }

  async listMetricNames(workloadUid: string): Promise<MetricSummary[]> {
    this.applier.settle();
    return this.workloads.listMetricNames(workloadUid);
  }

  async querySeries(q: SeriesQuery): Promise<Series[]> {
    this.applier.settle();
    return this.reader.query(q);
  }

  async queryRawPoints(q: RawPointsQuery): Promise<RawPoint[]> {
    this.applier.settle();
    return this.raw.rawPoints(q);
  }

  async queryStepTimes(q: StepTimesQuery): Promise<Array<{ step: number; wall_time: number }>> {
    this.applier.settle();
    return this.raw.stepTimesOf(q);
  }

  // Health rows key on run rows, which batches still staged in the ingest log may not have written.
  async getRunHealth(keys: RunHealthKey[]): Promise<RunHealthRecord[]> {
    this.applier.settle();
    return this.health.get(keys);
  }

  async saveRunHealth(writes: RunHealthWrite[]): Promise<boolean[]> {
    this.applier.settle();
    let applied: boolean[] = [];
    this.write(() => {
      applied = this.health.save(writes);
    });
    return applied;
  }

  async listRunHealth(workloadUid: string): Promise<RunHealthRecord[]> {
    this.applier.settle();
    return this.health.list(workloadUid);
  }

  async listHealthEvents(workloadUid: string, limit: number): Promise<HealthEventRecord[]> {
    this.applier.settle();
    return this.health.listEvents(workloadUid, limit);
  }

  async listDueRunHealth(now: number, limit: number): Promise<RunHealthRecord[]> {
    this.applier.settle();
    return this.health.listDue(now, limit);
  }

  async listExportedRunHealth(now: number, limit: number): Promise<RunHealthRecord[]> {
    this.applier.settle();
    return this.health.listExported(now, limit);
  }

  async workloadHealth(workloadUids: string[], now: number): Promise<Record<string, string>> {
    this.applier.settle();
    return this.health.workloadHealth(workloadUids, now);
  }

  async deleteOlderThan(cutoffEpochS: number): Promise<RetentionResult> {
    // Commit what is queued first, so "older than" is judged on everything acknowledged.
    await this.queue.drain();
    this.applier.settle();
    const total: RetentionResult = { points: 0, workloads: 0 };
    for (;;) {
      if (this.closed) break;
      let slice: ReturnType<typeof this.retention.slice>;
      try {
        slice = this.retention.slice(cutoffEpochS, this.retentionSlicePoints);
      } finally {
        // Deleted rows may be referenced by cached ids (SQLite reuses rowids).
        this.writer.resetCache();
      }
      total.points += slice.points;
      total.workloads += slice.workloads;
      if (slice.done) break;
      await new Promise((resolve) => setImmediate(resolve)); // let ingest run between slices
    }
    if (!this.closed) this.access.dropStaleClaims(cutoffEpochS);
    return total;
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    return this.open().createToken(token);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    return this.open().findByHash(hash);
  }

  async findTokenById(id: string): Promise<TokenRecord | null> {
    return this.open().findById(id);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.open().list();
  }

  async hasTokens(): Promise<boolean> {
    return this.open().hasTokens();
  }

  async revokeToken(id: string, at: number, by: string | null): Promise<TokenRecord | null> {
    return this.open().revokeToken(id, at, by);
  }

  async touchToken(id: string, at: number): Promise<void> {
    this.open().touchToken(id, at);
  }

  async claimWorkloadNamespace(workloadUid: string, namespace: string, at: number): Promise<string> {
    return this.open().claimNamespace(workloadUid, namespace, at);
  }

  async workloadNamespace(workloadUid: string): Promise<string | null> {
    return this.open().workloadNamespace(workloadUid);
  }

  /** The access rows, once the database is known to be open (a closed handle throws a clear error). */
  private open(): AccessRows {
    if (this.closed) throw new Error('store is closed');
    return this.access;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return this.db.prepare('SELECT 1').pluck().get() === 1;
    } catch {
      return false;
    }
  }

  /** Points waiting for their commit. The log's backlog is bounded by the apply (< one slice between turns). */
  pressure(): StorePressure {
    return { queued_points: this.queue.queued, saturated: this.queue.saturated };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.close();
    this.applier.close();
    this.closed = true;
    this.db.close();
  }

  private write(fn: () => void): void {
    if (this.closed) throw new Error('store is closed');
    this.guard(() => this.db.transaction(fn)());
  }

  /** Runs fn; on failure the transaction rolled back, so cached ids may be stale. */
  private guard<R>(fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      this.writer.resetCache();
      throw err;
    }
  }
}
