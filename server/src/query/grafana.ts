// The original's raw-shaped endpoints for the Grafana JSON API datasource:
// /workloads/{uid}/metrics/{sources,available,data,iteration-times}. Kept compatible with its
// dashboard's JSONPaths, without its bugs: no metric name is reserved or hidden, nothing is
// turned into 0, each point carries its own wall time, and start and end filter independently.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { jsonNumber } from '../http/non-finite.js';
import { QueryError, UidParams } from './schemas.js';
import type { QueryRoutesOptions } from './workloads.js';

/** The only data source this server has; the original also had "tensorflow" and "log". */
const DATA_SOURCE = 'wandb';
/** Hard cap on rows one Grafana query returns (no downsampling on this raw endpoint). */
export const GRAFANA_MAX_ROWS = 100_000;

const GrafanaQuery = Type.Object({
  data_source: Type.Optional(Type.String({ maxLength: 64 })),
  metrics: Type.Optional(Type.String({ maxLength: 65_536, description: 'Comma list, "all", or Grafana multi-value "{a,b}"' })),
  start: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch milliseconds' })),
  end: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch milliseconds' })),
  cluster: Type.Optional(Type.String({ maxLength: 256, description: 'Accepted and ignored (one cluster per server)' })),
});

const DataRow = Type.Object({
  metric_name: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], { description: 'null when not finite (see value_text)' }),
  value_text: Type.Optional(Type.String({ description: '"NaN"/"Infinity"/"-Infinity" when value is null' })),
  timestamp: Type.Number({ description: 'epoch milliseconds of this point' }),
  iteration: Type.Integer(),
  data_source: Type.String(),
  run_id: Type.String(),
  rank: Type.Integer(),
});

const DataAnswer = Type.Object({
  workload_uid: Type.String(),
  data_source: Type.Optional(Type.String()),
  data: Type.Array(DataRow),
  total_count: Type.Integer(),
});

/** "all", "", "{a,b}", "a, b" → undefined (everything) or the trimmed names. */
export function parseMetricList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  let text = raw.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0 || names.some((n) => n === 'all' || n === '$__all')) return undefined;
  return names;
}

function timeRange(q: { start?: number; end?: number }): { from_time?: number; to_time?: number } {
  return {
    ...(q.start !== undefined ? { from_time: q.start / 1_000 } : {}),
    ...(q.end !== undefined ? { to_time: q.end / 1_000 } : {}),
  };
}

export const grafanaRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = opts;
  const common = { tags: ['grafana'], hide: opts.hidden };
  const foreignSource = (ds: string | undefined) => ds !== undefined && ds !== '' && ds !== DATA_SOURCE;

  app.get(
    '/workloads/:uid/metrics/sources',
    {
      schema: {
        ...common,
        summary: 'Grafana: data sources of a workload',
        params: UidParams,
        querystring: GrafanaQuery,
        response: {
          200: Type.Object({
            workload_uid: Type.String(),
            data_sources: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer() })),
            total_count: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const detail = await store.getWorkload(request.params.uid);
      const sources = detail !== null && detail.points > 0 ? [{ name: DATA_SOURCE, count: detail.points }] : [];
      return { workload_uid: request.params.uid, data_sources: sources, total_count: sources.length };
    },
  );

  app.get(
    '/workloads/:uid/metrics/available',
    {
      schema: {
        ...common,
        summary: 'Grafana: metric names of a workload',
        params: UidParams,
        querystring: GrafanaQuery,
        response: {
          200: Type.Object({
            workload_uid: Type.String(),
            metrics: Type.Array(
              Type.Object({ name: Type.String(), data_source: Type.Array(Type.String()), count: Type.Integer() }),
            ),
            total_count: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const names = foreignSource(request.query.data_source) ? [] : await store.listMetricNames(request.params.uid);
      const metrics = names.map((m) => ({ name: m.name, data_source: [DATA_SOURCE], count: m.count }));
      return { workload_uid: request.params.uid, metrics, total_count: metrics.length };
    },
  );

  app.get(
    '/workloads/:uid/metrics/data',
    {
      schema: {
        ...common,
        summary: 'Grafana: raw points (timestamp in ms)',
        params: UidParams,
        querystring: GrafanaQuery,
        response: { 200: DataAnswer, 400: QueryError },
      },
    },
    async (request) => {
      const q = request.query;
      const names = parseMetricList(q.metrics);
      const rows = foreignSource(q.data_source)
        ? []
        : await store.queryRawPoints({
            workload_uid: request.params.uid,
            ...(names ? { names } : {}),
            ...timeRange(q),
            limit: GRAFANA_MAX_ROWS,
          });
      const data = rows.map((p) => {
        const encoded = jsonNumber(p.value);
        return {
          metric_name: p.metric_name,
          // Grafana's JSON API types a field from its values; a string among numbers would
          // turn the whole series into text, so non-finite values are gaps with a label.
          value: typeof encoded === 'number' ? encoded : null,
          ...(typeof encoded === 'string' ? { value_text: encoded } : {}),
          timestamp: Math.round(p.wall_time * 1_000),
          iteration: p.step,
          data_source: DATA_SOURCE,
          run_id: p.run_id,
          rank: p.rank,
        };
      });
      return {
        workload_uid: request.params.uid,
        ...(q.data_source ? { data_source: q.data_source } : {}),
        data,
        total_count: data.length,
      };
    },
  );

  app.get(
    '/workloads/:uid/metrics/iteration-times',
    {
      schema: {
        ...common,
        summary: 'Grafana: when each step was first reported',
        params: UidParams,
        querystring: GrafanaQuery,
        response: { 200: DataAnswer, 400: QueryError },
      },
    },
    async (request) => {
      const q = request.query;
      const steps = foreignSource(q.data_source)
        ? []
        : await store.queryStepTimes({ workload_uid: request.params.uid, ...timeRange(q), limit: GRAFANA_MAX_ROWS });
      const data = steps.map((s) => ({
        metric_name: 'iteration',
        value: s.step,
        timestamp: Math.round(s.wall_time * 1_000),
        iteration: s.step,
        data_source: DATA_SOURCE,
        run_id: '',
        rank: -1,
      }));
      return {
        workload_uid: request.params.uid,
        ...(q.data_source ? { data_source: q.data_source } : {}),
        data,
        total_count: data.length,
      };
    },
  );
};
