// The ids of a group commit (workloads, pods, runs, metric names, series), each kind in one
// multi-row statement, inside the caller's transaction. The workload upsert comes first and
// goes in uid order: it locks those rows until COMMIT, which serialises every writer of one
// workload across replicas (what keeps chunk rollups and aggregates exact) without two
// transactions ever waiting on each other in a cycle.
// Every id is cached: a row keeps its id for life and PostgreSQL never reuses one. Metric-name,
// series and run keys hold the workload id, and a workload removed by retention comes back with
// a new id, so those can only be stale through a stale workload id; the one-statement commit
// checks those under its lock and falls back to this path, which refreshes them. The cache is
// dropped whenever a transaction rolls back.
import type pg from 'pg';
import type { MetricBatch, RunUpsert } from '../types.js';
import { podRows, podUpsert, runKey, runRows, runUpsert, type Seen, workloadTimes } from './identity-rows.js';
import type { SeriesPoints } from './series-points.js';
import { numArray, Params } from './sql-arrays.js';

const MAX_CACHED_IDS = 200_000;

export interface ResolvedBatch {
  batch: MetricBatch;
  workloadId: number;
  runPk: number;
  /** metric name -> series id */
  series: Map<string, number>;
}

export class PgBatchWriter {
  private readonly ids = new Map<string, number>();

  resetCache(): void {
    this.ids.clear();
  }

  /** Workload and pod rows of every item, workloads locked in uid order; uid -> id. */
  async touchWorkloads(c: pg.PoolClient, items: readonly Seen[]): Promise<Map<string, number>> {
    const seen = workloadTimes(items);
    const uids = [...seen.keys()];
    const rows = await c.query<{ id: number; uid: string }>(
      `INSERT INTO workloads (uid, first_seen, last_seen)
       SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(uid, f, l) ORDER BY u.uid COLLATE "C"
       ON CONFLICT (uid) DO UPDATE SET last_seen = greatest(workloads.last_seen, excluded.last_seen),
         first_seen = least(workloads.first_seen, excluded.first_seen)
       RETURNING id, uid`,
      [uids, numArray(uids.map((u) => seen.get(u)!.first)), numArray(uids.map((u) => seen.get(u)!.last))],
    );
    const ids = new Map(rows.rows.map((r) => [r.uid, r.id] as const));
    this.remember(
      rows.rows.map((r) => [`w\0${r.uid}`, r.id]),
      new Map(),
    );
    const pods = podRows(items, ids);
    if (pods.length > 0) {
      const p = new Params();
      await c.query(podUpsert(p, pods), p.values);
    }
    return ids;
  }

  /** Upserts the run row of every item (folded per run in arrival order); returns one run id per item. */
  async touchRuns(c: pg.PoolClient, items: readonly RunUpsert[], wids: Map<string, number>): Promise<number[]> {
    const { rows, keys } = runRows(items, wids);
    const p = new Params();
    const res = await c.query<{ id: number; workload_id: number; run_id: string; rank: number }>(
      runUpsert(p, [...rows.values()], true),
      p.values,
    );
    const byKey = new Map<string, number>();
    this.remember(
      res.rows.map((r) => [runKey(r.workload_id, r.rank, r.run_id), r.id]),
      byKey,
    );
    return keys.map((k) => byKey.get(k)!);
  }

  /**
   * Everything the one-statement commit needs, from the cache alone: workload ids, one run id
   * per batch and the resolved series; null when anything is not cached yet.
   */
  cached(batches: readonly MetricBatch[]): { wids: Map<string, number>; resolved: ResolvedBatch[] } | null {
    const wids = new Map<string, number>();
    const resolved: ResolvedBatch[] = [];
    for (const b of batches) {
      let wid = wids.get(b.workload_uid);
      if (wid === undefined) {
        wid = this.ids.get(`w\0${b.workload_uid}`);
        if (wid === undefined) return null;
        wids.set(b.workload_uid, wid);
      }
      const runPk = this.ids.get(runKey(wid, b.rank, b.run_id));
      if (runPk === undefined) return null;
      const series = new Map<string, number>();
      for (const p of b.points) {
        if (series.has(p.name)) continue;
        const metric = this.ids.get(`m\0${wid}\0${p.name}`);
        const sid = metric === undefined ? undefined : this.ids.get(`s\0${runPk}\0${metric}`);
        if (sid === undefined) return null;
        series.set(p.name, sid);
      }
      resolved.push({ batch: b, workloadId: wid, runPk, series });
    }
    return { wids, resolved };
  }

  /** Series ids for every (run, metric name) of the batches, creating what is missing. */
  async resolveSeries(
    c: pg.PoolClient,
    batches: readonly MetricBatch[],
    wids: Map<string, number>,
    runPks: number[],
  ): Promise<ResolvedBatch[]> {
    // A batch names a few metrics many times: keys are built per distinct name, not per point.
    // Ids found here are kept in local maps, so a cache cleared by bound() meanwhile is harmless.
    const names = batches.map((b) => {
      const set = new Set<string>();
      for (const p of b.points) set.add(p.name);
      return set;
    });
    const metrics = new Map<string, number>();
    const wantMetric = new Map<string, { wid: number; name: string }>();
    batches.forEach((b, i) => {
      const wid = wids.get(b.workload_uid)!;
      for (const name of names[i]!)
        this.lookup(`m\0${wid}\0${name}`, metrics, () => wantMetric.set(`m\0${wid}\0${name}`, { wid, name }));
    });
    if (wantMetric.size > 0) {
      const list = [...wantMetric.values()];
      // DO UPDATE (a no-op write) so that RETURNING also gives the ids of rows that existed.
      const rows = await c.query<{ id: number; workload_id: number; name: string }>(
        `INSERT INTO metric_names (workload_id, name) SELECT * FROM unnest($1::bigint[], $2::text[])
         ON CONFLICT (workload_id, name) DO UPDATE SET name = excluded.name RETURNING id, workload_id, name`,
        [numArray(list.map((m) => m.wid)), list.map((m) => m.name)],
      );
      this.remember(
        rows.rows.map((r) => [`m\0${r.workload_id}\0${r.name}`, r.id]),
        metrics,
      );
    }
    const seriesKey = (i: number, wid: number, name: string): string => `s\0${runPks[i]}\0${metrics.get(`m\0${wid}\0${name}`)}`;
    const series = new Map<string, number>();
    const wantSeries = new Map<string, { wid: number; run: number; metric: number }>();
    batches.forEach((b, i) => {
      const wid = wids.get(b.workload_uid)!;
      for (const name of names[i]!) {
        const k = seriesKey(i, wid, name);
        this.lookup(k, series, () => wantSeries.set(k, { wid, run: runPks[i]!, metric: metrics.get(`m\0${wid}\0${name}`)! }));
      }
    });
    if (wantSeries.size > 0) {
      const list = [...wantSeries.values()];
      const rows = await c.query<{ id: number; run_pk: number; metric_id: number }>(
        `INSERT INTO series (workload_id, run_pk, metric_id) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
         ON CONFLICT (run_pk, metric_id) DO UPDATE SET workload_id = excluded.workload_id RETURNING id, run_pk, metric_id`,
        [numArray(list.map((s) => s.wid)), numArray(list.map((s) => s.run)), numArray(list.map((s) => s.metric))],
      );
      this.remember(
        rows.rows.map((r) => [`s\0${r.run_pk}\0${r.metric_id}`, r.id]),
        series,
      );
    }
    return batches.map((b, i) => {
      const wid = wids.get(b.workload_uid)!;
      const byName = new Map<string, number>();
      for (const name of names[i]!) byName.set(name, series.get(seriesKey(i, wid, name))!);
      return { batch: b, workloadId: wid, runPk: runPks[i]!, series: byName };
    });
  }

  /**
   * False when some series gets a step at or before the last step this replica wrote to it:
   * an overwrite, backfill or re-delivery, which only the transaction path merges. (Another
   * replica may have written further meanwhile; the one-statement commit checks that itself.)
   */
  looksLikeAppend(series: readonly SeriesPoints[]): boolean {
    for (const sp of series) {
      const tail = this.ids.get(`t\0${sp.sid}`);
      if (tail !== undefined && sp.steps[0]! <= tail) return false;
    }
    return true;
  }

  /** Remembers the highest step written to each series (a hint for looksLikeAppend). */
  noteTails(series: readonly SeriesPoints[]): void {
    this.bound();
    for (const sp of series) {
      const tail = this.ids.get(`t\0${sp.sid}`);
      if (tail === undefined || sp.lastStep > tail) this.ids.set(`t\0${sp.sid}`, sp.lastStep);
    }
  }

  private lookup(key: string, found: Map<string, number>, missing: () => void): void {
    const id = this.ids.get(key);
    if (id === undefined) missing();
    else found.set(key, id);
  }

  private remember(rows: ReadonlyArray<readonly [string, number]>, found: Map<string, number>): void {
    this.bound();
    for (const [k, id] of rows) {
      this.ids.set(k, id);
      found.set(k, id);
    }
  }

  private bound(): void {
    if (this.ids.size >= MAX_CACHED_IDS) this.ids.clear();
  }
}
