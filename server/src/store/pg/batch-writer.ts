// The body of a PostgreSQL group commit: the ids a list of batches needs (workloads, pods,
// runs, metric names, series), each kind in one multi-row statement, inside the caller's
// transaction. The workload upsert comes first and goes in uid order: it locks those rows
// until COMMIT, which serialises every writer of one workload across replicas (what keeps
// chunk rollups and aggregates exact) without two transactions ever waiting on each other
// in a cycle. Metric-name and series ids are cached: they never change and PostgreSQL never
// reuses an id, so a cached id can only be stale if its transaction rolled back, and the
// cache is dropped then.
import type pg from 'pg';
import type { Identity, MetricBatch, RunUpsert } from '../types.js';
import { numArray } from './sql-arrays.js';

const MAX_CACHED_IDS = 200_000;

/** What a run upsert needs; a MetricBatch is one too (it has no started_at). */
type RunFields = RunUpsert;

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
  async touchWorkloads(c: pg.PoolClient, items: ReadonlyArray<{ uid: string; seenAt: number; identity?: Identity }>): Promise<Map<string, number>> {
    const seen = new Map<string, { first: number; last: number }>();
    for (const it of items) {
      const s = seen.get(it.uid);
      if (s === undefined) seen.set(it.uid, { first: it.seenAt, last: it.seenAt });
      else {
        s.first = Math.min(s.first, it.seenAt);
        s.last = Math.max(s.last, it.seenAt);
      }
    }
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
    await this.touchPods(c, items, ids);
    return ids;
  }

  private async touchPods(c: pg.PoolClient, items: ReadonlyArray<{ uid: string; seenAt: number; identity?: Identity }>, wids: Map<string, number>): Promise<void> {
    type Pod = { wid: number; key: string; uid: string | null; name: string | null; ns: string | null; host: string | null; first: number; last: number };
    const pods = new Map<string, Pod>();
    for (const it of items) {
      const id = it.identity;
      const key = id && (id.pod_uid || id.pod_name || id.host);
      if (!id || !key) continue;
      const wid = wids.get(it.uid)!;
      const k = `${wid}\0${key}`;
      const p = pods.get(k);
      if (p === undefined) {
        pods.set(k, { wid, key, uid: id.pod_uid ?? null, name: id.pod_name ?? null, ns: id.namespace ?? null, host: id.host ?? null, first: it.seenAt, last: it.seenAt });
      } else {
        // Folded in arrival order: a later non-null value wins, as consecutive upserts would.
        p.uid = id.pod_uid ?? p.uid;
        p.name = id.pod_name ?? p.name;
        p.ns = id.namespace ?? p.ns;
        p.host = id.host ?? p.host;
        p.first = Math.min(p.first, it.seenAt);
        p.last = Math.max(p.last, it.seenAt);
      }
    }
    if (pods.size === 0) return;
    const list = [...pods.values()];
    await c.query(
      `INSERT INTO pods (workload_id, pod_key, pod_uid, pod_name, namespace, host, first_seen, last_seen)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[])
       ON CONFLICT (workload_id, pod_key) DO UPDATE SET
         pod_uid = coalesce(excluded.pod_uid, pods.pod_uid), pod_name = coalesce(excluded.pod_name, pods.pod_name),
         namespace = coalesce(excluded.namespace, pods.namespace), host = coalesce(excluded.host, pods.host),
         last_seen = greatest(pods.last_seen, excluded.last_seen)`,
      [numArray(list.map((p) => p.wid)), list.map((p) => p.key), list.map((p) => p.uid), list.map((p) => p.name),
        list.map((p) => p.ns), list.map((p) => p.host), numArray(list.map((p) => p.first)), numArray(list.map((p) => p.last))],
    );
  }

  /** Upserts the run row of every item (folded per run in arrival order); returns one run id per item. */
  async touchRuns(c: pg.PoolClient, items: readonly RunFields[], wids: Map<string, number>): Promise<number[]> {
    const runs = new Map<string, RunRowInput>();
    const keys = items.map((r) => {
      const wid = wids.get(r.workload_uid)!;
      const key = `${wid}\0${r.rank}\0${r.run_id}`;
      runs.set(key, foldRun(runs.get(key), wid, r));
      return key;
    });
    const list = [...runs.values()];
    const col = <K extends keyof RunRowInput>(k: K): Array<RunRowInput[K]> => list.map((r) => r[k]);
    const rows = await c.query<{ id: number; workload_id: number; run_id: string; rank: number }>(
      `INSERT INTO runs (workload_id, run_id, rank, project, name, config, local_rank, node_rank, world_size, host,
         pod_name, pid, state, exit_code, started_at, finished_at, first_seen, last_seen)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
         $9::int[], $10::text[], $11::text[], $12::int[], $13::text[], $14::int[], $15::float8[], $16::float8[],
         $17::float8[], $18::float8[])
       ON CONFLICT (workload_id, run_id, rank) DO UPDATE SET
         project = coalesce(excluded.project, runs.project), name = coalesce(excluded.name, runs.name),
         config = coalesce(excluded.config, runs.config), local_rank = coalesce(excluded.local_rank, runs.local_rank),
         node_rank = coalesce(excluded.node_rank, runs.node_rank), world_size = coalesce(excluded.world_size, runs.world_size),
         host = coalesce(excluded.host, runs.host), pod_name = coalesce(excluded.pod_name, runs.pod_name),
         pid = coalesce(excluded.pid, runs.pid), state = coalesce(excluded.state, runs.state),
         exit_code = CASE WHEN excluded.state IS NULL THEN runs.exit_code ELSE excluded.exit_code END,
         finished_at = CASE WHEN excluded.state IS NULL THEN runs.finished_at ELSE excluded.finished_at END,
         started_at = CASE WHEN runs.started_at IS NULL OR excluded.started_at < runs.started_at
           THEN coalesce(excluded.started_at, runs.started_at) ELSE runs.started_at END,
         last_seen = greatest(runs.last_seen, excluded.last_seen)
       RETURNING id, workload_id, run_id, rank`,
      [numArray(col('wid')), col('run_id'), numArray(col('rank')), col('project'), col('name'), col('config'),
        numArray(col('local_rank')), numArray(col('node_rank')), numArray(col('world_size')), col('host'), col('pod_name'),
        numArray(col('pid')), col('state'), numArray(col('exit_code')), numArray(col('started_at')),
        numArray(col('finished_at')), numArray(col('first')), numArray(col('seen'))],
    );
    const byKey = new Map<string, number>(rows.rows.map((r) => [`${r.workload_id}\0${r.rank}\0${r.run_id}`, r.id]));
    return keys.map((k) => byKey.get(k)!);
  }

  /** Series ids for every (run, metric name) of the batches, creating what is missing. */
  async resolveSeries(c: pg.PoolClient, batches: readonly MetricBatch[], wids: Map<string, number>, runPks: number[]): Promise<ResolvedBatch[]> {
    const wantMetric = new Map<string, { wid: number; name: string }>();
    for (const b of batches) {
      const wid = wids.get(b.workload_uid)!;
      for (const p of b.points) {
        const k = `m\0${wid}\0${p.name}`;
        if (!this.ids.has(k)) wantMetric.set(k, { wid, name: p.name });
      }
    }
    if (wantMetric.size > 0) {
      const list = [...wantMetric.values()];
      // DO UPDATE (a no-op write) so that RETURNING also gives the ids of rows that existed.
      const rows = await c.query<{ id: number; workload_id: number; name: string }>(
        `INSERT INTO metric_names (workload_id, name) SELECT * FROM unnest($1::bigint[], $2::text[])
         ON CONFLICT (workload_id, name) DO UPDATE SET name = excluded.name RETURNING id, workload_id, name`,
        [numArray(list.map((m) => m.wid)), list.map((m) => m.name)],
      );
      this.bound();
      for (const r of rows.rows) this.ids.set(`m\0${r.workload_id}\0${r.name}`, r.id);
    }
    const wantSeries = new Map<string, { wid: number; run: number; metric: number }>();
    batches.forEach((b, i) => {
      const wid = wids.get(b.workload_uid)!;
      for (const p of b.points) {
        const metric = this.ids.get(`m\0${wid}\0${p.name}`)!;
        const k = `s\0${runPks[i]}\0${metric}`;
        if (!this.ids.has(k)) wantSeries.set(k, { wid, run: runPks[i]!, metric });
      }
    });
    if (wantSeries.size > 0) {
      const list = [...wantSeries.values()];
      const rows = await c.query<{ id: number; run_pk: number; metric_id: number }>(
        `INSERT INTO series (workload_id, run_pk, metric_id) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
         ON CONFLICT (run_pk, metric_id) DO UPDATE SET workload_id = excluded.workload_id RETURNING id, run_pk, metric_id`,
        [numArray(list.map((s) => s.wid)), numArray(list.map((s) => s.run)), numArray(list.map((s) => s.metric))],
      );
      this.bound();
      for (const r of rows.rows) this.ids.set(`s\0${r.run_pk}\0${r.metric_id}`, r.id);
    }
    return batches.map((b, i) => {
      const wid = wids.get(b.workload_uid)!;
      const series = new Map<string, number>();
      for (const p of b.points) {
        if (series.has(p.name)) continue;
        const metric = this.ids.get(`m\0${wid}\0${p.name}`)!;
        series.set(p.name, this.ids.get(`s\0${runPks[i]}\0${metric}`)!);
      }
      return { batch: b, workloadId: wid, runPk: runPks[i]!, series };
    });
  }

  private bound(): void {
    if (this.ids.size >= MAX_CACHED_IDS) this.ids.clear();
  }
}

interface RunRowInput {
  wid: number;
  run_id: string;
  rank: number;
  project: string | null;
  name: string | null;
  config: string | null;
  local_rank: number | null;
  node_rank: number | null;
  world_size: number | null;
  host: string | null;
  pod_name: string | null;
  pid: number | null;
  state: string | null;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  first: number;
  seen: number;
}

/** Folds one more upsert of a run into what earlier items of the same commit said. */
function foldRun(prev: RunRowInput | undefined, wid: number, r: RunFields): RunRowInput {
  const id = r.identity;
  const st = r.run_state;
  const next: RunRowInput = {
    wid,
    run_id: r.run_id,
    rank: r.rank,
    project: r.run?.project ?? null,
    name: r.run?.name ?? null,
    config: r.run?.config === undefined ? null : JSON.stringify(r.run.config),
    local_rank: id.local_rank ?? null,
    node_rank: id.node_rank ?? null,
    world_size: id.world_size ?? null,
    host: id.host ?? null,
    pod_name: id.pod_name ?? null,
    pid: id.pid ?? null,
    state: st?.state ?? null,
    exit_code: st?.state === 'finished' ? st.exit_code ?? null : null,
    finished_at: st?.state === 'finished' ? st.finished_at ?? r.received_at : null,
    started_at: r.started_at ?? null,
    first: r.received_at,
    seen: r.received_at,
  };
  if (prev === undefined) return next;
  return {
    ...next,
    project: next.project ?? prev.project,
    name: next.name ?? prev.name,
    config: next.config ?? prev.config,
    local_rank: next.local_rank ?? prev.local_rank,
    node_rank: next.node_rank ?? prev.node_rank,
    world_size: next.world_size ?? prev.world_size,
    host: next.host ?? prev.host,
    pod_name: next.pod_name ?? prev.pod_name,
    pid: next.pid ?? prev.pid,
    state: next.state ?? prev.state,
    exit_code: next.state === null ? prev.exit_code : next.exit_code,
    finished_at: next.state === null ? prev.finished_at : next.finished_at,
    started_at: prev.started_at === null || (next.started_at !== null && next.started_at < prev.started_at) ? next.started_at ?? prev.started_at : prev.started_at,
    first: Math.min(prev.first, next.first),
    seen: Math.max(prev.seen, next.seen),
  };
}
