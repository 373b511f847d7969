// One function per ingest body kind. Each takes a body (already schema-checked, with the
// schema errors that fall inside it) and returns the envelope's `data`, or throws a
// LensError for a body that is unusable as a whole. The batch route reuses all three.
import type { FastifyBaseLogger } from 'fastify';
import { confidenceLabel, sourceFromReport } from '../detection/index.js';
import { errors, type FieldError } from '../errors.js';
import type { HealthObserver } from '../health/observer.js';
import { exceedsDepth } from '../http/json-depth.js';
import { isPlainObject } from '../http/json-shapes.js';
import { type IngestEndpoint, type LensMetrics, timed } from '../ops/prom.js';
import { recordSource } from '../services/detection-service.js';
import { fingerprintsFor } from '../services/metric-fingerprint.js';
import type { RunUpsert, Store } from '../store/types.js';
import { type IdentityFields, isFieldError, type ResolvedIdentity, resolveIdentity, UNKNOWN_RUN_ID } from './identity.js';
import { buildLogsBatch, buildMetricsBatch, type PointsBuild } from './points.js';
import type { DetectionBodyT, DetectionResultDataT, LogsBodyT, MetricsBodyT, PointsResultT } from './schemas.js';
import { rejectionReasonLabel, splitItemErrors } from './validation.js';

export interface IngestContext {
  store: Store;
  metrics: LensMetrics;
  log: FastifyBaseLogger;
  /** Epoch seconds. */
  now: () => number;
  /**
   * Checks that the request's token may write this workload and files the workload under its
   * namespace (auth/namespaces.ts); resolves to the namespace to store, throws a 403.
   */
  authorizeWrite: (resolved: ResolvedIdentity, at: number) => Promise<string | null>;
  /** Told about every committed batch and reported run (training health); null when off. */
  health?: HealthObserver | null;
}

/** Stored JSON (evidence, hints, configs) may nest at most this deep. */
export const MAX_STORED_DEPTH = 64;

/** Body-level checks shared by all kinds: schema errors outside items, then identity. */
function requireUsable(body: unknown, bodyErrors: FieldError[], itemErrors: FieldError[], pointer: string): ResolvedIdentity {
  const problems = [...bodyErrors];
  let resolved: ResolvedIdentity | null = null;
  if (isPlainObject(body)) {
    const identity = resolveIdentity(body as IdentityFields, pointer);
    // A wrongly typed workload_uid or pod_name is already reported at its own path.
    const typeError = bodyErrors.some((e) => e.path === `${pointer}/workload_uid` || e.path === `${pointer}/pod_name`);
    if (!isFieldError(identity)) resolved = identity;
    else if (!typeError) problems.unshift(identity);
  }
  if (problems.length > 0 || resolved === null) throw errors.invalidRequest([...problems, ...itemErrors]);
  return resolved;
}

/** The token check that needs the body: whose namespace the report is for. */
async function authorize(ctx: IngestContext, resolved: ResolvedIdentity): Promise<void> {
  const namespace = await ctx.authorizeWrite(resolved, ctx.now());
  if (namespace !== null) resolved.identity.namespace = namespace;
}

function flatItems(items: Map<number, FieldError[]>): FieldError[] {
  return [...items.values()].flat();
}

async function storePoints(ctx: IngestContext, endpoint: IngestEndpoint, build: PointsBuild): Promise<void> {
  const batch = build.batch;
  if (batch.points.length > 0 || batch.run_state !== undefined || batch.run !== undefined) {
    await timed(ctx.metrics, 'write_metrics', () => ctx.store.writeMetrics(batch));
    ctx.health?.observeBatch(batch); // health: synchronous hand-off of what was just committed
  }
  // The run's first metric names are detection evidence too; a failure there never fails the points.
  await fingerprintsFor(ctx.store).observe(batch, ctx.log);
  ctx.metrics.pointsIngested.inc({ endpoint }, batch.points.length);
  ctx.metrics.batchSize.observe({ endpoint }, batch.points.length);
  for (const path of build.rejectedPaths) ctx.metrics.pointsRejected.inc({ reason: rejectionReasonLabel(path) });
}

function pointsResult(message: string, build: PointsBuild): PointsResultT {
  return {
    message,
    count: build.count,
    accepted: build.batch.points.length,
    rejected: build.rejected,
    rejections: build.rejections,
    workloads_count: 1,
    success_count: 1,
    workload_uid: build.batch.workload_uid,
  };
}

export async function ingestMetrics(ctx: IngestContext, body: unknown, errs: FieldError[], pointer = ''): Promise<PointsResultT> {
  const split = splitItemErrors(errs, `${pointer}/metrics`);
  const resolved = requireUsable(body, split.body, flatItems(split.items), pointer);
  await authorize(ctx, resolved);
  const build = buildMetricsBatch(body as MetricsBodyT, resolved, split.items, ctx.now());
  ctx.log.info(
    { workload_uid: resolved.workloadUid, run_id: resolved.runId, rank: resolved.rank, rejected: build.rejected },
    `Processing WandB metrics: ${build.count} metrics`,
  );
  await storePoints(ctx, 'metrics', build);
  return pointsResult('metrics reported successfully', build);
}

export async function ingestLogs(ctx: IngestContext, body: unknown, errs: FieldError[], pointer = ''): Promise<PointsResultT> {
  const split = splitItemErrors(errs, `${pointer}/logs`);
  const resolved = requireUsable(body, split.body, flatItems(split.items), pointer);
  await authorize(ctx, resolved);
  const logs = (body as LogsBodyT).logs ?? [];
  if (logs.some((row) => isPlainObject(row) && exceedsDepth(row.data, MAX_STORED_DEPTH))) {
    throw errors.invalidRequest([{ path: `${pointer}/logs`, message: `data nests deeper than ${MAX_STORED_DEPTH} levels` }]);
  }
  const build = buildLogsBatch(body as LogsBodyT, resolved, split.items, ctx.now());
  ctx.log.info(
    { workload_uid: resolved.workloadUid, run_id: resolved.runId, rank: resolved.rank, points: build.batch.points.length },
    `Processing WandB logs: ${build.count} rows`,
  );
  await storePoints(ctx, 'logs', build);
  return pointsResult('training data reported successfully', build);
}

interface WandbRun {
  id: string;
  project?: string;
  name?: string;
  config?: unknown;
  /** When wandb.init ran (epoch seconds), as the exporter read it from the run. */
  started_at?: number;
}

function wandbRun(body: DetectionBodyT): WandbRun | null {
  const w = body.evidence?.wandb;
  if (!isPlainObject(w)) return null;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const out: WandbRun = { id: str(w.id) ?? '' };
  if (typeof w.started_at === 'number' && Number.isFinite(w.started_at) && w.started_at > 0) out.started_at = w.started_at;
  const project = str(w.project);
  const name = str(w.name);
  if (project !== undefined) out.project = project;
  if (name !== undefined) out.name = name;
  if (w.config !== undefined) out.config = w.config;
  return out;
}

async function upsertReportedRun(
  ctx: IngestContext,
  resolved: ResolvedIdentity,
  report: DetectionBodyT,
  run: WandbRun | null,
  now: number,
): Promise<void> {
  const runInfo = {
    ...resolved.run,
    ...(run?.project ? { project: run.project } : {}),
    ...(run?.name ? { name: run.name } : {}),
  };
  if (run?.config !== undefined) Object.assign(runInfo, { config: run.config });
  const upsert: RunUpsert = {
    workload_uid: resolved.workloadUid,
    run_id: resolved.runId,
    rank: resolved.rank,
    identity: resolved.identity,
    ...(Object.keys(runInfo).length > 0 ? { run: runInfo } : {}),
    // The run's own start when the exporter sends it; else, for the original exporter, the
    // time of the report made at wandb.init (later reports are updates, not starts).
    started_at:
      run?.started_at ?? (typeof report.timestamp === 'number' && (report.report_seq ?? 0) === 0 ? report.timestamp : null),
    received_at: now,
  };
  await timed(ctx.metrics, 'upsert_run', () => ctx.store.upsertRun(upsert));
  ctx.health?.observeRun(upsert); // health: the run's config (total steps) and that it is alive
}

export async function ingestDetection(
  ctx: IngestContext,
  body: unknown,
  errs: FieldError[],
  pointer = '',
): Promise<DetectionResultDataT> {
  const identity = requireUsable(body, errs, [], pointer);
  await authorize(ctx, identity);
  const report = body as DetectionBodyT;
  for (const key of ['evidence', 'hints'] as const) {
    if (exceedsDepth(report[key], MAX_STORED_DEPTH)) {
      throw errors.invalidRequest([{ path: `${pointer}/${key}`, message: `nests deeper than ${MAX_STORED_DEPTH} levels` }]);
    }
  }
  const run = wandbRun(report);
  // A v0.1/v0.2 report has no top-level run_id; its run is the one in evidence.wandb.
  const resolved = { ...identity };
  if (run !== null && run.id !== '' && report.run_id == null && report.run?.id == null) resolved.runId = run.id;

  ctx.log.info(
    { workload_uid: resolved.workloadUid, run_id: resolved.runId, rank: resolved.rank },
    `Processing WandB detection for workload ${resolved.workloadUid}`,
  );
  const now = ctx.now();
  // Re-reports are ordered by the server clock: client clocks across nodes disagree.
  const result = sourceFromReport(report, now);
  const merged = await timed(ctx.metrics, 'detection', () =>
    recordSource(ctx.store, resolved.workloadUid, result, report.evidence, report.hints, now),
  );
  // A report that names no run (the documented curl check, a hand-written body) is evidence
  // about the workload only: filing it under a run would leave one "running" that never ends.
  if (resolved.runId !== UNKNOWN_RUN_ID) await upsertReportedRun(ctx, resolved, report, run, now);
  ctx.metrics.detections.inc({ framework: result.framework });
  ctx.log.info(
    { workload_uid: resolved.workloadUid, method: result.method, status: merged.status },
    `✓ Detected framework from WandB: ${result.framework} (confidence: ${confidenceLabel(result.confidence)})`,
  );
  return {
    message: 'detection reported successfully',
    workloads_count: 1,
    success_count: 1,
    workload_uid: resolved.workloadUid,
    detection: {
      framework: merged.framework,
      wrapper_framework: merged.wrapper_framework,
      base_framework: merged.base_framework,
      confidence: merged.confidence,
      method: merged.method,
      status: merged.status,
    },
  };
}
