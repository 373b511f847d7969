// GET /workloads, /workloads/{uid}, /runs, /metrics and /metrics/series: the query API the
// dashboard and the benchmarks read. Plain JSON, no envelope.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { coversAll } from '../auth/namespaces.js';
import { errors } from '../errors.js';
import { type HealthStatus, isHealthStatus } from '../health/statuses.js';
import { jsonNumber, jsonNumberOrNull } from '../http/non-finite.js';
import type { Store, WorkloadRow as StoreWorkloadRow } from '../store/types.js';
import type { DetectionAnswerT } from './detection-schemas.js';
import type { WirePoint } from './schemas.js';
import {
  MetricList,
  QueryError,
  RunList,
  SeriesAnswer,
  SeriesQuery,
  UidParams,
  WorkloadDetail,
  WorkloadList,
  WorkloadListQuery,
} from './schemas.js';

export interface QueryRoutesOptions {
  store: Store;
  hidden: boolean;
  /** Epoch seconds at which health (stalled, lost) is judged. */
  clock?: () => number;
}

function encodeRow<T extends StoreWorkloadRow>(
  row: T,
): Omit<T, 'last_loss'> & { last_loss: ReturnType<typeof jsonNumberOrNull> } {
  return { ...row, last_loss: jsonNumberOrNull(row.last_loss) };
}

export const workloadRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = opts;
  const clock = opts.clock ?? (() => Date.now() / 1_000);
  /** Each workload's worst run status now; `unknown` for those without evaluated runs. */
  const withHealth = async <T extends { workload_uid: string }>(
    rows: T[],
    now: number,
  ): Promise<Array<T & { health: HealthStatus }>> => {
    const health = await store.workloadHealth(
      rows.map((r) => r.workload_uid),
      now,
    );
    return rows.map((r) => {
      const h = health[r.workload_uid];
      return { ...r, health: isHealthStatus(h) ? h : 'unknown' };
    });
  };
  const common = { tags: ['query'], hide: opts.hidden };
  const notFound = { 404: QueryError };

  app.get(
    '/workloads',
    {
      schema: {
        ...common,
        summary: 'List workloads, most recently seen first',
        querystring: WorkloadListQuery,
        response: { 200: WorkloadList, 400: QueryError },
      },
    },
    async (request) => {
      const q = request.query;
      const now = clock();
      const filter = {
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
        ...(q.q ? { q: q.q } : {}),
        ...(q.framework ? { framework: q.framework } : {}),
        ...(q.status ? { status: q.status } : {}),
        // A namespaced token sees, and counts, only its namespaces' workloads.
        ...(coversAll(request.principal) ? {} : { namespaces: request.principal.namespaces }),
        ...(q.health ? { health: q.health, now } : {}),
      };
      const { total, workloads } = await store.listWorkloads(filter);
      return { total, workloads: await withHealth(workloads.map(encodeRow), now) };
    },
  );

  app.get(
    '/workloads/:uid',
    {
      schema: {
        ...common,
        summary: 'One workload: summary, detection, metric count',
        params: UidParams,
        response: { 200: WorkloadDetail, ...notFound },
      },
    },
    async (request) => {
      const detail = await store.getWorkload(request.params.uid);
      if (detail === null) throw errors.workloadNotFound(request.params.uid);
      const [row] = await withHealth([encodeRow(detail)], clock());
      if (row === undefined) throw errors.workloadNotFound(request.params.uid);
      // The store keeps the merged detection as the JSON the detection service wrote: DetectionAnswer's shape.
      return { ...row, detection: row.detection as DetectionAnswerT | null };
    },
  );

  app.get(
    '/workloads/:uid/runs',
    {
      schema: {
        ...common,
        summary: 'Runs (one row per run and rank)',
        params: UidParams,
        response: { 200: RunList, ...notFound },
      },
    },
    async (request) => {
      const runs = await store.listRuns(request.params.uid);
      if (runs.length === 0 && (await store.getWorkload(request.params.uid)) === null)
        throw errors.workloadNotFound(request.params.uid);
      return { runs };
    },
  );

  app.get(
    '/workloads/:uid/metrics',
    {
      schema: {
        ...common,
        summary: 'Metric names with count and last/min/max',
        params: UidParams,
        response: { 200: MetricList, ...notFound },
      },
    },
    async (request) => {
      const metrics = await store.listMetricNames(request.params.uid);
      if (metrics.length === 0 && (await store.getWorkload(request.params.uid)) === null)
        throw errors.workloadNotFound(request.params.uid);
      return { metrics: metrics.map((m) => ({ ...m, last: jsonNumberOrNull(m.last) })) };
    },
  );

  app.get(
    '/workloads/:uid/metrics/series',
    {
      schema: {
        ...common,
        summary: 'One series per (run, rank), downsampled server-side (first/min/max/last per bucket, non-finite kept)',
        params: UidParams,
        querystring: SeriesQuery,
        response: { 200: SeriesAnswer, 400: QueryError, ...notFound },
      },
    },
    async (request) => {
      const { uid } = request.params;
      const q = request.query;
      const series = await store.querySeries({
        workload_uid: uid,
        name: q.name,
        max_points: q.max_points ?? 1_000,
        ...(q.run_id !== undefined ? { run_id: q.run_id } : {}),
        ...(q.rank !== undefined ? { rank: q.rank } : {}),
        ...(q.from_step !== undefined ? { from_step: q.from_step } : {}),
        ...(q.to_step !== undefined ? { to_step: q.to_step } : {}),
        ...(q.from_time !== undefined ? { from_time: q.from_time } : {}),
        ...(q.to_time !== undefined ? { to_time: q.to_time } : {}),
      });
      if (series.length === 0 && (await store.getWorkload(uid)) === null) throw errors.workloadNotFound(uid);
      return {
        workload_uid: uid,
        name: q.name,
        series: series.map((s) => ({
          run_id: s.run_id,
          rank: s.rank,
          total_points: s.total_points,
          downsampled: s.downsampled,
          points: s.points.map(([step, value, wallTime]): WirePoint => [step, jsonNumber(value), wallTime]),
        })),
      };
    },
  );
};
