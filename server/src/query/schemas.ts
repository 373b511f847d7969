// Query API shapes (plain JSON, no envelope), defined once for validation, serialization
// and the OpenAPI document. Non-finite numbers are the strings "NaN"/"Infinity"/"-Infinity".
import { type Static, Type } from '@fastify/type-provider-typebox';
import { HealthStatusSchema } from '../health/schemas.js';
import { nullable } from '../http/json-shapes.js';
import type { JsonNumber } from '../http/non-finite.js';
import { DetectionAnswer } from './detection-schemas.js';

export { DetectionAnswer };
/** [step, value, wall_time]; the value may be non-finite, spelled as a string. */
export type WirePoint = [number, JsonNumber, number];

/** A number that may be non-finite, spelled as a string. */
const MaybeFinite = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')], {
  description: 'number, or "NaN"/"Infinity"/"-Infinity"',
});

export const UidParams = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 512, description: 'workload_uid' }) });

export const WorkloadListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 256, description: 'Substring of workload_uid (case-insensitive)' })),
  framework: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.String({ maxLength: 32 })),
  health: Type.Optional(HealthStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
});

const workloadRowFields = {
  workload_uid: Type.String(),
  framework: nullable(Type.String()),
  wrapper_framework: nullable(Type.String()),
  base_framework: nullable(Type.String()),
  confidence: nullable(Type.Number()),
  status: nullable(Type.String()),
  first_seen: Type.Number({ description: 'epoch seconds' }),
  last_seen: Type.Number({ description: 'epoch seconds' }),
  runs: Type.Integer(),
  pods: Type.Integer(),
  points: Type.Integer(),
  last_step: nullable(Type.Integer()),
  last_loss: nullable(MaybeFinite),
  active_runs: Type.Integer(),
  namespace: nullable(
    Type.String({ description: 'Kubernetes namespace the workload is filed under (its first report that named one)' }),
  ),
  health: HealthStatusSchema,
};

export const WorkloadRow = Type.Object(workloadRowFields);
export const WorkloadList = Type.Object({ total: Type.Integer(), workloads: Type.Array(WorkloadRow) });
export const WorkloadDetail = Type.Object({
  ...workloadRowFields,
  detection: nullable(DetectionAnswer),
  metrics: Type.Integer({ description: 'Number of distinct metric names' }),
});

export const RunRow = Type.Object({
  run_id: Type.String(),
  project: nullable(Type.String()),
  name: nullable(Type.String()),
  rank: Type.Integer(),
  local_rank: nullable(Type.Integer()),
  node_rank: nullable(Type.Integer()),
  world_size: nullable(Type.Integer()),
  host: nullable(Type.String()),
  pod_name: nullable(Type.String()),
  pid: nullable(Type.Integer()),
  state: Type.Union([Type.Literal('running'), Type.Literal('finished')]),
  exit_code: nullable(Type.Integer()),
  started_at: nullable(Type.Number()),
  finished_at: nullable(Type.Number()),
  last_seen: Type.Number(),
  last_step: nullable(Type.Integer()),
  points: Type.Integer(),
  config: Type.Unknown({ description: 'The wandb config' }),
});
export const RunList = Type.Object({ runs: Type.Array(RunRow) });

export const MetricSummary = Type.Object({
  name: Type.String(),
  count: Type.Integer(),
  last: nullable(MaybeFinite),
  min: nullable(Type.Number()),
  max: nullable(Type.Number()),
  last_step: nullable(Type.Integer()),
  last_time: nullable(Type.Number()),
});
export const MetricList = Type.Object({ metrics: Type.Array(MetricSummary) });

export const SeriesQuery = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 512, description: 'Metric name' }),
  run_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  rank: Type.Optional(Type.Integer({ minimum: -1, maximum: 1_000_000 })),
  from_step: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  to_step: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  from_time: Type.Optional(Type.Number({ description: 'epoch seconds' })),
  to_time: Type.Optional(Type.Number({ description: 'epoch seconds' })),
  max_points: Type.Optional(Type.Integer({ minimum: 2, maximum: 100_000, default: 1_000 })),
});

export const SeriesAnswer = Type.Object({
  workload_uid: Type.String(),
  name: Type.String(),
  series: Type.Array(
    Type.Object({
      run_id: Type.String(),
      rank: Type.Integer(),
      total_points: Type.Integer({ description: 'Points in the range before downsampling' }),
      downsampled: Type.Boolean(),
      // Serialized without a per-element schema: a union per value would make the
      // serializer test every branch of every point. The static type still says what a point is.
      points: Type.Unsafe<WirePoint[]>(
        Type.Array(Type.Array(Type.Any()), {
          description: '[step, value, wall_time] sorted by step; value is a number or "NaN"/"Infinity"/"-Infinity"',
        }),
      ),
    }),
  ),
});

export const DetectionOverride = Type.Object({
  framework: Type.String({ minLength: 1, maxLength: 64 }),
  wrapper_framework: Type.Optional(nullable(Type.String({ maxLength: 64 }))),
  base_framework: Type.Optional(nullable(Type.String({ maxLength: 64 }))),
  confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  note: Type.Optional(Type.String({ maxLength: 2_000 })),
});

export const QueryError = Type.Object(
  {
    error: Type.String(),
    code: Type.String(),
    workload_uid: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'Error; errors names every bad parameter' },
);

export type SeriesQueryT = Static<typeof SeriesQuery>;
export type WorkloadListQueryT = Static<typeof WorkloadListQuery>;
export type DetectionOverrideT = Static<typeof DetectionOverride>;
