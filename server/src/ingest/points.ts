// Maps a validated metrics or logs body to one store batch (one run, one rank), keeping
// per-item rejections with their reasons. Values keep their IEEE meaning: "NaN" becomes
// NaN, never NULL or 0; booleans become 1/0 as the wire format says.
import type { FieldError } from '../errors.js';
import type { MetricBatch, PointInput } from '../store/types.js';
import type { ResolvedIdentity } from './identity.js';
import type { LogsBodyT, MetricsBodyT, RejectionT } from './schemas.js';

/** Cap on listed rejections in one answer; the counts stay exact. */
export const MAX_LISTED_REJECTIONS = 200;
/** Deeper nesting in a logs row is rejected rather than flattened (and cannot blow the stack). */
export const MAX_FLATTEN_DEPTH = 16;

export interface PointsBuild {
  batch: MetricBatch;
  /** Items in the body (metrics: points; logs: rows). */
  count: number;
  rejected: number;
  rejections: RejectionT[];
  /** JSON pointers of every rejection, for the reason counters (bounded labels later). */
  rejectedPaths: string[];
}

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** A metric value as a number, or null when it is not one of the accepted spellings. */
export function toMetricNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return NON_FINITE[value] ?? null;
  return null;
}

function toPoint(item: unknown, defaultTime: number): PointInput | null {
  if (item === null || typeof item !== 'object') return null;
  const m = item as { name?: unknown; value?: unknown; step?: unknown; timestamp?: unknown };
  const value = toMetricNumber(m.value);
  const step = m.step === undefined ? 0 : m.step;
  const wallTime = typeof m.timestamp === 'number' ? m.timestamp : defaultTime;
  if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 512) return null;
  if (value === null || !Number.isSafeInteger(step) || (step as number) < 0 || !Number.isFinite(wallTime)) return null;
  return { name: m.name, step: step as number, value, wall_time: wallTime };
}

function emptyBuild(resolved: ResolvedIdentity, receivedAt: number, count: number): PointsBuild {
  return {
    batch: {
      workload_uid: resolved.workloadUid,
      run_id: resolved.runId,
      rank: resolved.rank,
      identity: resolved.identity,
      ...(resolved.run ? { run: resolved.run } : {}),
      points: [],
      received_at: receivedAt,
    },
    count,
    rejected: 0,
    rejections: [],
    rejectedPaths: [],
  };
}

function reject(build: PointsBuild, index: number, path: string, reason: string): void {
  build.rejected += 1;
  build.rejectedPaths.push(path);
  if (build.rejections.length < MAX_LISTED_REJECTIONS) build.rejections.push({ index, path, reason });
}

function rejectItem(build: PointsBuild, index: number, errs: FieldError[]): void {
  const first = errs[0] as FieldError;
  const field = first.path.slice(first.path.lastIndexOf('/') + 1);
  const reason = Number.isInteger(Number(field)) ? first.message : `${field} ${first.message}`;
  reject(build, index, first.path, reason);
}

export function buildMetricsBatch(
  body: MetricsBodyT,
  resolved: ResolvedIdentity,
  itemErrors: Map<number, FieldError[]>,
  receivedAt: number,
): PointsBuild {
  const metrics = Array.isArray(body.metrics) ? body.metrics : [];
  const build = emptyBuild(resolved, receivedAt, metrics.length);
  if (body.run_state) {
    build.batch.run_state = { state: body.run_state.state };
    if (body.run_state.exit_code !== undefined) build.batch.run_state.exit_code = body.run_state.exit_code;
    if (body.run_state.finished_at !== undefined) build.batch.run_state.finished_at = body.run_state.finished_at;
  }
  const defaultTime = typeof body.timestamp === 'number' ? body.timestamp : receivedAt;
  const points: PointInput[] = build.batch.points;
  for (let i = 0; i < metrics.length; i++) {
    const errs = itemErrors.get(i);
    if (errs !== undefined) {
      rejectItem(build, i, errs);
      continue;
    }
    const point = toPoint(metrics[i], defaultTime);
    // Defence in depth: the schema already checked the item; this guards the store
    // (one malformed point must never fail a shared group-commit transaction).
    if (point === null) reject(build, i, `/metrics/${i}`, 'is not a valid metric point');
    else points.push(point);
  }
  return build;
}

/** Flattens one logs row's data into points; non-numeric leaves are rejected with a reason. */
function flattenRow(build: PointsBuild, rowIndex: number, data: Record<string, unknown>, step: number, wallTime: number): void {
  const pending: Array<[string, string, unknown, number]> = Object.keys(data).map((k) => [k, `/${k}`, data[k], 1]);
  while (pending.length > 0) {
    const [name, pointer, value, depth] = pending.pop() as [string, string, unknown, number];
    const path = `/logs/${rowIndex}/data${pointer}`;
    const num = toMetricNumber(value);
    if (num !== null) {
      if (name.length === 0 || name.length > 512) reject(build, rowIndex, path, 'name must have 1 to 512 characters');
      else build.batch.points.push({ name, step, value: num, wall_time: wallTime });
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth >= MAX_FLATTEN_DEPTH) {
        reject(build, rowIndex, path, `nested deeper than ${MAX_FLATTEN_DEPTH} levels`);
        continue;
      }
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) pending.push([`${name}.${k}`, `${pointer}/${k}`, obj[k], depth + 1]);
    } else {
      reject(
        build,
        rowIndex,
        path,
        `value of ${name} is not numeric (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`,
      );
    }
  }
}

export function buildLogsBatch(
  body: LogsBodyT,
  resolved: ResolvedIdentity,
  itemErrors: Map<number, FieldError[]>,
  receivedAt: number,
): PointsBuild {
  const logs = Array.isArray(body.logs) ? body.logs : [];
  const build = emptyBuild(resolved, receivedAt, logs.length);
  const defaultTime = typeof body.timestamp === 'number' ? body.timestamp : receivedAt;
  for (let i = 0; i < logs.length; i++) {
    const errs = itemErrors.get(i);
    if (errs !== undefined) {
      rejectItem(build, i, errs);
      continue;
    }
    const row = logs[i] as (typeof logs)[number];
    flattenRow(build, i, row.data, row.step ?? 0, typeof row.timestamp === 'number' ? row.timestamp : defaultTime);
  }
  return build;
}
