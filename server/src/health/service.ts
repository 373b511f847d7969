// HealthService: evaluation on ingest. Ingest hands over what it just committed
// (observeBatch / observeRun: synchronous, cheap, never throws, never waits); every
// flushIntervalMs the pending observations of each run are folded into its state and saved
// with a compare-and-set on the run's version. The state lives in the store, and this
// process only caches it: a replica whose save lost (another replica saved that run first)
// reloads the run and applies its observations again, so several replicas never overwrite
// each other. Stalled and lost need no data to happen: sweep() records them when their
// deadline passed (the API and /metrics/training already compute them at read time).
import type { FastifyBaseLogger } from 'fastify';
import type { MetricBatch, RunHealthRecord, RunHealthWrite, RunUpsert, Store } from '../store/types.js';
import { type Evaluated, evaluate } from './evaluate.js';
import { keyOf, type Observation, observeBatch, observeRun, type RunKey } from './observe.js';
import { compactState, type HealthEvent, restoreState } from './state.js';
import { type HealthStatus, isHealthStatus } from './statuses.js';
import { sweepWrite } from './sweep.js';
import type { Thresholds } from './thresholds.js';

/** A run whose stored status changed; what the webhook and the log report. */
export interface StatusChange extends RunKey {
  namespace: string | null;
  status: HealthStatus;
  previous: HealthStatus;
  since: number;
  /** The event that caused it, when there is one. */
  event: HealthEvent | null;
}

export interface HealthCounters {
  conflict(): void;
  dropped(n: number): void;
  flushed(runs: number, seconds: number): void;
}

export interface HealthServiceOptions {
  store: Store;
  thresholds: Thresholds;
  /** Epoch seconds; tests inject a virtual clock. */
  clock?: () => number;
  log?: FastifyBaseLogger;
  onChange?: (change: StatusChange) => void;
  counters?: HealthCounters;
}

/** Runs whose state is cached in this process; others are read from the store when they report. */
export const CACHED_RUNS = 4_096;
/** Observations waiting for the next flush, all runs together; beyond it new ones are dropped (and counted). */
export const MAX_PENDING = 100_000;
/**
 * Points behind the pending observations that start a flush before the timer, so that memory
 * stays bounded under a firehose (~1.5 MB of observations at this many points); at ordinary
 * rates the timer decides. Each flush also costs a fixed ~0.3 ms per run (state copy, load, one
 * save transaction): at 50,000 points a 400,000-points/s stream flushed 8 times a second, and
 * those fixed costs were most of what health cost in-process. At 200,000 the collector still
 * keeps up (as many full collections in a 1.6M-point run, checked with --trace-gc).
 */
export const FLUSH_AT_POINTS = 200_000;
const SAVE_ATTEMPTS = 3;
const SWEEP_BATCH = 1_000;

interface Cached {
  record: RunHealthRecord;
}

export class HealthService {
  readonly thresholds: Thresholds;
  private readonly clock: () => number;
  private pending = new Map<string, { key: RunKey; obs: Observation[] }>();
  private pendingCount = 0;
  private pendingPoints = 0;
  private readonly cache = new Map<string, Cached>();
  private flushTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: HealthServiceOptions) {
    this.thresholds = opts.thresholds;
    this.clock = opts.clock ?? (() => Date.now() / 1_000);
  }

  now(): number {
    return this.clock();
  }

  /** After a metrics batch committed. */
  observeBatch(batch: MetricBatch): void {
    this.guard(() => {
      const obs = observeBatch(batch);
      obs.received_at = this.clock();
      this.enqueue(batch, obs);
      this.pendingPoints += batch.points.length;
      if (this.pendingPoints >= FLUSH_AT_POINTS) this.flushSoon();
    });
  }

  /** After a detection report created or updated its run (config, start). */
  observeRun(run: RunUpsert): void {
    this.guard(() => {
      const obs = observeRun(run);
      obs.received_at = this.clock();
      this.enqueue(run, obs);
    });
  }

  /** Starts the sweep timer (the flush timer starts with the first observation). */
  start(): void {
    if (this.sweepTimer !== null || this.closed) return;
    const tick = (): void => {
      void this.sweep().catch((err: unknown) => this.opts.log?.warn({ err }, 'health sweep failed'));
      this.sweepTimer = setTimeout(tick, this.thresholds.sweepIntervalSeconds * 1_000).unref();
    };
    this.sweepTimer = setTimeout(tick, this.thresholds.sweepIntervalSeconds * 1_000).unref();
  }

  /** Evaluates and saves everything pending now; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const next = this.running.then(() => this.flushNow());
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Records the stalls and losses whose deadline passed by `now`. Returns how many it recorded. */
  sweep(now = this.clock()): Promise<number> {
    const next = this.running.then(() => this.sweepNow(now));
    this.running = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.flush().catch((err: unknown) => this.opts.log?.warn({ err }, 'health flush at close failed'));
    this.closed = true;
  }

  /** A flush on the next turn of the event loop (not inside the ingest handler). */
  private flushSoon(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.pendingPoints = 0;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush().catch((err: unknown) => this.opts.log?.warn({ err }, 'health flush failed'));
    }, 0).unref();
  }

  private guard(fn: () => void): void {
    try {
      if (!this.closed) fn();
    } catch (err) {
      this.opts.log?.warn({ err }, 'health observation failed');
    }
  }

  private enqueue(key: RunKey, obs: Observation): void {
    if (this.pendingCount >= MAX_PENDING) {
      this.opts.counters?.dropped(1);
      return;
    }
    const id = keyOf(key);
    let entry = this.pending.get(id);
    if (entry === undefined) {
      entry = { key: { workload_uid: key.workload_uid, run_id: key.run_id, rank: key.rank }, obs: [] };
      this.pending.set(id, entry);
    }
    entry.obs.push(obs);
    this.pendingCount += 1;
    if (this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        void this.flush().catch((err: unknown) => this.opts.log?.warn({ err }, 'health flush failed'));
      }, this.thresholds.flushIntervalMs).unref();
    }
  }

  private async flushNow(): Promise<void> {
    if (this.pending.size === 0) return;
    const started = performance.now();
    const work = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    this.pendingPoints = 0;
    try {
      await this.evaluateAndSave(work);
    } catch (err) {
      this.requeue(work);
      throw err;
    }
    this.opts.counters?.flushed(work.size, (performance.now() - started) / 1_000);
  }

  private async evaluateAndSave(work: Map<string, { key: RunKey; obs: Observation[] }>): Promise<void> {
    let todo = [...work.keys()];
    for (let attempt = 1; todo.length > 0 && attempt <= SAVE_ATTEMPTS; attempt++) {
      const uncached = todo.filter((id) => !this.cache.has(id)).map((id) => (work.get(id) as { key: RunKey }).key);
      const loaded = new Map((await this.opts.store.getRunHealth(uncached)).map((r) => [keyOf(r), r]));
      const now = this.clock();
      const writes: RunHealthWrite[] = [];
      const results: Evaluated[] = [];
      const bases: Array<RunHealthRecord | null> = [];
      for (const id of todo) {
        const entry = work.get(id) as { key: RunKey; obs: Observation[] };
        const base = this.cache.get(id)?.record ?? loaded.get(id) ?? null;
        const state = base === null ? null : restoreState(structuredClone(base.state));
        const prev = base === null ? null : { ...base, status: isHealthStatus(base.status) ? base.status : 'unknown' };
        const result = evaluate(prev, state, entry.obs, this.thresholds);
        compactState(result.state);
        results.push(result);
        bases.push(base);
        writes.push({
          record: this.recordOf(entry.key, result, now),
          expected_version: base?.version ?? 0,
          events: result.events.map((e) => ({ ...entry.key, ...e })),
        });
      }
      const applied = await this.opts.store.saveRunHealth(writes);
      const retry: string[] = [];
      todo.forEach((id, i) => {
        const write = writes[i] as RunHealthWrite;
        if (applied[i] === true) {
          this.remember(id, { ...write.record, version: write.expected_version + 1 });
          this.report(write.record, bases[i] as RunHealthRecord | null, (results[i] as Evaluated).events);
        } else {
          this.cache.delete(id);
          this.opts.counters?.conflict();
          retry.push(id);
        }
      });
      todo = retry;
    }
    if (todo.length > 0)
      this.opts.log?.debug({ runs: todo.length }, 'health: runs left unevaluated (no run row, or saves kept conflicting)');
  }

  private recordOf(key: RunKey, r: Evaluated, now: number): RunHealthRecord {
    return {
      ...key,
      namespace: r.namespace,
      version: 0,
      status: r.status,
      since: r.since,
      stall_at: r.stall_at,
      lost_at: r.lost_at,
      export_until: r.export_until,
      progress: r.progress,
      state: r.state,
      updated_at: now,
    };
  }

  private async sweepNow(now: number): Promise<number> {
    let recorded = 0;
    for (let round = 0; round < 100; round++) {
      const due = await this.opts.store.listDueRunHealth(now, SWEEP_BATCH);
      if (due.length === 0) break;
      const sweeps = due.map((row) => sweepWrite(row, now, this.thresholds));
      const applied = await this.opts.store.saveRunHealth(sweeps.map((x) => x.write));
      sweeps.forEach(({ write, events }, i) => {
        const id = keyOf(write.record);
        if (applied[i] !== true) {
          this.cache.delete(id);
          return;
        }
        recorded += 1;
        this.remember(id, { ...write.record, version: write.expected_version + 1 });
        this.report(write.record, due[i] as RunHealthRecord, events);
      });
      if (due.length < SWEEP_BATCH) break;
    }
    return recorded;
  }

  private report(record: RunHealthRecord, base: RunHealthRecord | null, events: readonly HealthEvent[]): void {
    const previous = base === null || !isHealthStatus(base.status) ? 'unknown' : base.status;
    const status = isHealthStatus(record.status) ? record.status : 'unknown';
    // A new run becoming healthy is not news; everything else (recoveries included) is.
    if (status === previous || (previous === 'unknown' && status === 'healthy') || this.opts.onChange === undefined) return;
    const cause = [...events].reverse().find((e) => e.kind !== 'recovered') ?? events[events.length - 1] ?? null;
    try {
      this.opts.onChange({
        workload_uid: record.workload_uid,
        run_id: record.run_id,
        rank: record.rank,
        namespace: record.namespace,
        status,
        previous,
        since: record.since,
        event:
          cause === null
            ? null
            : {
                kind: cause.kind,
                metric: cause.metric,
                step: cause.step,
                value: cause.value,
                at: cause.at,
                detail: cause.detail,
              },
      });
    } catch (err) {
      this.opts.log?.warn({ err }, 'health change listener failed');
    }
  }

  private remember(id: string, record: RunHealthRecord): void {
    this.cache.delete(id);
    this.cache.set(id, { record });
    if (this.cache.size > CACHED_RUNS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  private requeue(work: Map<string, { key: RunKey; obs: Observation[] }>): void {
    for (const [id, entry] of work) {
      const room = Math.max(0, MAX_PENDING - this.pendingCount);
      const kept = entry.obs.slice(Math.max(0, entry.obs.length - room));
      if (kept.length < entry.obs.length) this.opts.counters?.dropped(entry.obs.length - kept.length);
      if (kept.length === 0) continue;
      const cur = this.pending.get(id);
      // The failed flush's observations happened before anything queued since.
      this.pending.set(id, { key: entry.key, obs: cur === undefined ? kept : [...kept, ...cur.obs] });
      this.pendingCount += kept.length;
    }
    if (this.flushTimer === null && !this.closed) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        void this.flush().catch((err: unknown) => this.opts.log?.warn({ err }, 'health flush failed'));
      }, this.thresholds.flushIntervalMs).unref();
    }
  }
}
