// The workload, pod and run rows a list of items implies, folded per key in arrival order (a
// later non-null value wins, as consecutive upserts would), and the multi-row upserts that
// write them. Shared by the full transaction and the one-statement append commit, which
// number their parameters differently: the SQL is built against a Params.
import { type RunColumns, runColumns } from '../row-records.js';
import type { Identity, RunUpsert } from '../types.js';
import { numArray, type Params } from './sql-arrays.js';

export interface Seen {
  uid: string;
  seenAt: number;
  identity?: Identity;
}

/** uid -> first and last time seen in these items. */
export function workloadTimes(items: readonly Seen[]): Map<string, { first: number; last: number }> {
  const seen = new Map<string, { first: number; last: number }>();
  for (const it of items) {
    const s = seen.get(it.uid);
    if (s === undefined) seen.set(it.uid, { first: it.seenAt, last: it.seenAt });
    else {
      s.first = Math.min(s.first, it.seenAt);
      s.last = Math.max(s.last, it.seenAt);
    }
  }
  return seen;
}

interface PodRow {
  wid: number;
  key: string;
  uid: string | null;
  name: string | null;
  ns: string | null;
  host: string | null;
  first: number;
  last: number;
}

export function podRows(items: readonly Seen[], wids: ReadonlyMap<string, number>): PodRow[] {
  const pods = new Map<string, PodRow>();
  for (const it of items) {
    const id = it.identity;
    const key = id && (id.pod_uid || id.pod_name || id.host);
    if (!id || !key) continue;
    const wid = wids.get(it.uid)!;
    const k = `${wid}\0${key}`;
    const p = pods.get(k);
    if (p === undefined) {
      pods.set(k, {
        wid,
        key,
        uid: id.pod_uid ?? null,
        name: id.pod_name ?? null,
        ns: id.namespace ?? null,
        host: id.host ?? null,
        first: it.seenAt,
        last: it.seenAt,
      });
    } else {
      p.uid = id.pod_uid ?? p.uid;
      p.name = id.pod_name ?? p.name;
      p.ns = id.namespace ?? p.ns;
      p.host = id.host ?? p.host;
      p.first = Math.min(p.first, it.seenAt);
      p.last = Math.max(p.last, it.seenAt);
    }
  }
  return [...pods.values()];
}

export function podUpsert(p: Params, list: readonly PodRow[]): string {
  return `INSERT INTO pods (workload_id, pod_key, pod_uid, pod_name, namespace, host, first_seen, last_seen)
    SELECT * FROM unnest(${p.add(numArray(list.map((r) => r.wid)))}::bigint[], ${p.add(list.map((r) => r.key))}::text[],
      ${p.add(list.map((r) => r.uid))}::text[], ${p.add(list.map((r) => r.name))}::text[], ${p.add(list.map((r) => r.ns))}::text[],
      ${p.add(list.map((r) => r.host))}::text[], ${p.add(numArray(list.map((r) => r.first)))}::float8[],
      ${p.add(numArray(list.map((r) => r.last)))}::float8[])
    ON CONFLICT (workload_id, pod_key) DO UPDATE SET
      pod_uid = coalesce(excluded.pod_uid, pods.pod_uid), pod_name = coalesce(excluded.pod_name, pods.pod_name),
      namespace = coalesce(excluded.namespace, pods.namespace), host = coalesce(excluded.host, pods.host),
      last_seen = greatest(pods.last_seen, excluded.last_seen)`;
}

export interface RunRow extends RunColumns {
  wid: number;
  first: number;
  seen: number;
  /** Points this commit adds to the run, and its highest step (the one-statement commit only). */
  added: number;
  maxStep: number | null;
}

export const runKey = (wid: number, rank: number, runId: string): string => `r\0${wid}\0${rank}\0${runId}`;

/** The run rows of the items and, per item, its run's key. */
export function runRows(
  items: readonly RunUpsert[],
  wids: ReadonlyMap<string, number>,
): { rows: Map<string, RunRow>; keys: string[] } {
  const rows = new Map<string, RunRow>();
  const keys = items.map((r) => {
    const wid = wids.get(r.workload_uid)!;
    const key = runKey(wid, r.rank, r.run_id);
    rows.set(key, foldRun(rows.get(key), wid, r));
    return key;
  });
  return { rows, keys };
}

/** Upserts runs; `added`/`maxStep` go into the counters (0 and NULL leave them as they are). */
export function runUpsert(p: Params, list: readonly RunRow[], returning: boolean): string {
  const col = <K extends keyof RunRow>(k: K): Array<RunRow[K]> => list.map((r) => r[k]);
  const num = (k: keyof RunRow, type: string): string => `${p.add(numArray(col(k) as Array<number | null>))}::${type}[]`;
  const text = (k: keyof RunRow): string => `${p.add(col(k))}::text[]`;
  return `INSERT INTO runs (workload_id, run_id, rank, project, name, config, local_rank, node_rank, world_size, host,
      pod_name, pid, state, exit_code, started_at, finished_at, first_seen, last_seen, points, last_step)
    SELECT * FROM unnest(${num('wid', 'bigint')}, ${text('run_id')}, ${num('rank', 'int')}, ${text('project')}, ${text('name')},
      ${text('config')}, ${num('local_rank', 'int')}, ${num('node_rank', 'int')}, ${num('world_size', 'int')}, ${text('host')},
      ${text('pod_name')}, ${num('pid', 'int')}, ${text('state')}, ${num('exit_code', 'int')}, ${num('started_at', 'float8')},
      ${num('finished_at', 'float8')}, ${num('first', 'float8')}, ${num('seen', 'float8')}, ${num('added', 'bigint')},
      ${num('maxStep', 'bigint')})
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
      last_seen = greatest(runs.last_seen, excluded.last_seen),
      points = runs.points + excluded.points, last_step = greatest(runs.last_step, excluded.last_step)
    ${returning ? 'RETURNING id, workload_id, run_id, rank' : ''}`;
}

/** Folds one more upsert of a run into what earlier items of the same commit said. */
function foldRun(prev: RunRow | undefined, wid: number, r: RunUpsert): RunRow {
  const next: RunRow = { wid, ...runColumns(r), first: r.received_at, seen: r.received_at, added: 0, maxStep: null };
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
    started_at:
      prev.started_at === null || (next.started_at !== null && next.started_at < prev.started_at)
        ? (next.started_at ?? prev.started_at)
        : prev.started_at,
    first: Math.min(prev.first, next.first),
    seen: Math.max(prev.seen, next.seen),
  };
}
