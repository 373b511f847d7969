// The PostgreSQL implementation of Store (node-postgres pool). Stateless across replicas:
// nothing in this process is needed by another. Metric and series ids are cached (they never
// change); everything else that must be global (counters, aggregates, detection merges) is
// read from and written to the database, under row locks that serialise writers of one
// workload across processes.
//
// Durability: a promise resolves only after COMMIT returned, so with the server's default
// synchronous_commit=on an acknowledged write is in PostgreSQL's flushed WAL.
import type pg from 'pg';
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
import * as access from './access-rows.js';
import { appendCommit } from './append-commit.js';
import { PgBatchWriter } from './batch-writer.js';
import { createPool, inTransaction, query, RETENTION_LOCK, withAdvisoryLock } from './connection.js';
import { getMerged, listSources, saveMerged, upsertSource } from './detection-rows.js';
import * as health from './health-rows.js';
import { applyMigrations } from './migrate.js';
import { rawPoints, stepTimes } from './raw-queries.js';
import { POINTS_PER_SLICE, retentionSlice } from './retention.js';
import { PgSeriesReader } from './series-query.js';
import { writePoints } from './series-writer.js';
import { PgWorkloadQueries } from './workload-queries.js';

const DEFAULT_MAX_QUEUED_POINTS = 500_000;
// A commit is a handful of statements whatever its size; past ~25k points a bigger one only
// delays the acknowledgement of the batches at its front.
const MAX_POINTS_PER_COMMIT = 25_000;

export class PgStore implements Store {
  private readonly writer = new PgBatchWriter();
  private readonly reader: PgSeriesReader;
  private readonly workloads: PgWorkloadQueries;
  private readonly queue: GroupCommitQueue<MetricBatch, { written: number }>;
  private readonly retentionSlicePoints: number;
  private closed = false;
  /** Group commits so far by path: one statement (plain appends) or a transaction. */
  readonly commits = { append: 0, transaction: 0 };

  /** Connects, migrates (once across replicas) and returns a ready store. */
  static async open(url: string, opts: StoreOptions = {}): Promise<PgStore> {
    const pool = createPool({
      url,
      poolMax: opts.pgPoolMax ?? 10,
      statementTimeoutMs: opts.pgStatementTimeoutMs ?? 30_000,
      connectTimeoutMs: opts.pgConnectTimeoutMs ?? 5_000,
    });
    try {
      await applyMigrations(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgStore(pool, opts);
  }

  private constructor(
    private readonly pool: pg.Pool,
    opts: StoreOptions,
  ) {
    this.reader = new PgSeriesReader(pool);
    this.workloads = new PgWorkloadQueries(pool);
    this.retentionSlicePoints = opts.retentionSlicePoints ?? POINTS_PER_SLICE;
    this.queue = new GroupCommitQueue<MetricBatch, { written: number }>((items) => this.guard(() => this.commitMany(items)), {
      maxQueued: opts.maxQueuedPoints ?? DEFAULT_MAX_QUEUED_POINTS,
      maxPerCommit: MAX_POINTS_PER_COMMIT,
      retryAfterSeconds: opts.retryAfterSeconds ?? 1,
    });
  }

  /** A group commit: one statement when it is a plain append of known series, else a transaction. */
  private async commitMany(items: MetricBatch[]): Promise<Array<{ written: number }>> {
    let g = await appendCommit(this.pool, this.writer, items);
    if (g !== null) this.commits.append += 1;
    else {
      g = await inTransaction(this.pool, async (c) => {
        const wids = await this.writer.touchWorkloads(
          c,
          items.map((b) => ({ uid: b.workload_uid, seenAt: b.received_at, identity: b.identity })),
        );
        const runPks = await this.writer.touchRuns(c, items, wids);
        return writePoints(c, await this.writer.resolveSeries(c, items, wids, runPks));
      });
      this.commits.transaction += 1;
    }
    this.writer.noteTails(g.series);
    return g.written.map((n) => ({ written: n }));
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.pool);
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
    await this.transaction(async (c) => {
      const wids = await this.writer.touchWorkloads(c, [
        { uid: run.workload_uid, seenAt: run.received_at, identity: run.identity },
      ]);
      await this.writer.touchRuns(c, [run], wids);
    });
  }

  async upsertDetectionSource(rec: DetectionSourceRecord): Promise<void> {
    await this.transaction(async (c) => {
      const wids = await this.writer.touchWorkloads(c, [{ uid: rec.workload_uid, seenAt: rec.reported_at }]);
      await upsertSource(c, wids.get(rec.workload_uid)!, rec);
    });
  }

  async recordDetectionSource(
    rec: DetectionSourceRecord,
    merge: (sources: DetectionSourceRecord[]) => WorkloadDetectionRecord,
  ): Promise<WorkloadDetectionRecord> {
    // The workload upsert locks its row until COMMIT: a second report for the same workload,
    // on this replica or another, waits here and then reads this one's source.
    return this.transaction(async (c) => {
      const wids = await this.writer.touchWorkloads(c, [{ uid: rec.workload_uid, seenAt: rec.reported_at }]);
      const wid = wids.get(rec.workload_uid)!;
      await upsertSource(c, wid, rec);
      const saved = merge(await listSources(c, rec.workload_uid));
      await saveMerged(c, wid, saved);
      return saved;
    });
  }

  async listDetectionSources(workloadUid: string): Promise<DetectionSourceRecord[]> {
    return listSources(this.pool, workloadUid);
  }

  async saveWorkloadDetection(rec: WorkloadDetectionRecord): Promise<void> {
    await this.transaction(async (c) => {
      const wids = await this.writer.touchWorkloads(c, [{ uid: rec.workload_uid, seenAt: rec.updated_at }]);
      await saveMerged(c, wids.get(rec.workload_uid)!, rec);
    });
  }

  async getWorkloadDetection(workloadUid: string): Promise<WorkloadDetectionRecord | null> {
    return getMerged(this.pool, workloadUid);
  }

  async listWorkloads(filter: WorkloadFilter): Promise<{ total: number; workloads: WorkloadRow[] }> {
    return this.workloads.listWorkloads(filter);
  }

  async getWorkload(workloadUid: string): Promise<WorkloadDetail | null> {
    return this.workloads.getWorkload(workloadUid);
  }

  async listRuns(workloadUid: string): Promise<RunRow[]> {
    return this.workloads.listRuns(workloadUid);
  }

  async listMetricNames(workloadUid: string): Promise<MetricSummary[]> {
    return this.workloads.listMetricNames(workloadUid);
  }

  async querySeries(q: SeriesQuery): Promise<Series[]> {
    return this.reader.query(q);
  }

  async queryRawPoints(q: RawPointsQuery): Promise<RawPoint[]> {
    return rawPoints(this.pool, q);
  }

  async queryStepTimes(q: StepTimesQuery): Promise<Array<{ step: number; wall_time: number }>> {
    return stepTimes(this.pool, q);
  }

  async getRunHealth(keys: RunHealthKey[]): Promise<RunHealthRecord[]> {
    return health.getRunHealth(this.pool, keys);
  }

  async saveRunHealth(writes: RunHealthWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return [];
    return this.transaction((c) => health.saveRunHealth(c, writes));
  }

  async listRunHealth(workloadUid: string): Promise<RunHealthRecord[]> {
    return health.listRunHealth(this.pool, workloadUid);
  }

  async listHealthEvents(workloadUid: string, limit: number): Promise<HealthEventRecord[]> {
    return health.listHealthEvents(this.pool, workloadUid, limit);
  }

  async listDueRunHealth(now: number, limit: number): Promise<RunHealthRecord[]> {
    return health.listDueRunHealth(this.pool, now, limit);
  }

  async listExportedRunHealth(now: number, limit: number): Promise<RunHealthRecord[]> {
    return health.listExportedRunHealth(this.pool, now, limit);
  }

  async workloadHealth(workloadUids: string[], now: number): Promise<Record<string, string>> {
    return health.workloadHealth(this.pool, workloadUids, now);
  }

  async deleteOlderThan(cutoffEpochS: number): Promise<RetentionResult> {
    await this.queue.drain();
    const total: RetentionResult = { points: 0, workloads: 0 };
    // When another replica holds the lock it is already sweeping the same cutoff (give or
    // take the clock), so this one returns at once with nothing removed.
    await withAdvisoryLock(this.pool, RETENTION_LOCK, false, async (client) => {
      while (!this.closed) {
        const slice = await retentionSlice(client, cutoffEpochS, this.retentionSlicePoints);
        total.points += slice.points;
        total.workloads += slice.workloads;
        if (slice.done) break;
      }
      if (!this.closed) await access.dropStaleClaims(client, cutoffEpochS);
    });
    return total;
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    return access.createToken(this.pool, token);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    return access.findToken(this.pool, 'hash', hash);
  }

  async findTokenById(id: string): Promise<TokenRecord | null> {
    return access.findToken(this.pool, 'id', id);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return access.listTokens(this.pool);
  }

  async hasTokens(): Promise<boolean> {
    return access.hasTokens(this.pool);
  }

  async revokeToken(id: string, at: number, by: string | null): Promise<TokenRecord | null> {
    return access.revokeToken(this.pool, id, at, by);
  }

  async touchToken(id: string, at: number): Promise<void> {
    await access.touchToken(this.pool, id, at);
  }

  async claimWorkloadNamespace(workloadUid: string, namespace: string, at: number): Promise<string> {
    return access.claimNamespace(this.pool, workloadUid, namespace, at);
  }

  async workloadNamespace(workloadUid: string): Promise<string | null> {
    return access.workloadNamespace(this.pool, workloadUid);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const [row] = await query<{ ok: number }>(this.pool, 'SELECT 1 AS ok');
      return row?.ok === 1;
    } catch {
      return false;
    }
  }

  pressure(): StorePressure {
    return { queued_points: this.queue.queued, saturated: this.queue.saturated };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.close();
    this.closed = true;
    await this.pool.end();
  }

  private transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.guard(() => inTransaction(this.pool, fn));
  }

  /** A rolled-back transaction may have put ids into the cache that do not exist. */
  private async guard<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      this.writer.resetCache();
      throw err;
    }
  }
}
