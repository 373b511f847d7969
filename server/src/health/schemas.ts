// The health API's shapes, defined once for validation, serialization, the OpenAPI document
// and the dashboard's types. Non-finite values are the strings "NaN"/"Infinity"/"-Infinity".
import { type Static, Type } from '@fastify/type-provider-typebox';
import { nullable } from '../http/json-shapes.js';
import { EVENT_KINDS, HEALTH_STATUSES, type HealthEventKind, type HealthStatus, STATUS_MEANING } from './statuses.js';

const MaybeFinite = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')], {
  description: 'number, or "NaN"/"Infinity"/"-Infinity"',
});

// An enum of strings: one schema keyword instead of a union per status, and the static type exact.
export const HealthStatusSchema = Type.Unsafe<HealthStatus>({
  type: 'string',
  enum: [...HEALTH_STATUSES],
  description: HEALTH_STATUSES.map((s) => `${s}: ${STATUS_MEANING[s]}`).join('; '),
});

export const HealthEventSchema = Type.Object({
  run_id: Type.String(),
  rank: Type.Integer(),
  kind: Type.Unsafe<HealthEventKind>({ type: 'string', enum: [...EVENT_KINDS], description: 'what happened' }),
  metric: nullable(Type.String({ description: 'the metric it happened in (non_finite, spike; slowdown: the step-time source)' })),
  step: nullable(
    Type.Integer({ description: 'the step it happened at (a slowdown: about where it began; a stall: the last step reached)' }),
  ),
  value: nullable(MaybeFinite),
  at: Type.Number({ description: 'server time it was recognised, epoch seconds (a stall: when the threshold passed)' }),
  detail: Type.String(),
});

const PerfValueSchema = Type.Object({
  value: Type.Number(),
  source: Type.String({ description: 'the metric it was read from' }),
  step: Type.Integer(),
});

export const PerformanceSchema = Type.Object(
  {
    iteration_time_s: Type.Optional(PerfValueSchema),
    tokens_per_second: Type.Optional(PerfValueSchema),
    samples_per_second: Type.Optional(PerfValueSchema),
    steps_per_second: Type.Optional(PerfValueSchema),
    throughput: Type.Optional(PerfValueSchema),
    tflops: Type.Optional(PerfValueSchema),
    mfu: Type.Optional(PerfValueSchema),
    gpu_memory_gib: Type.Optional(PerfValueSchema),
  },
  { description: 'Figures the framework logged itself, each with the metric it came from; nothing is estimated' },
);

export const ProgressSchema = Type.Object({
  first_step: nullable(Type.Integer()),
  last_step: nullable(Type.Integer()),
  last_step_at: nullable(Type.Number({ description: 'server time the last new step arrived' })),
  last_step_wall_time: nullable(Type.Number({ description: "the run's own wall time of its last step" })),
  last_data_at: nullable(Type.Number({ description: 'server time anything last arrived from the run' })),
  seconds_since_last_step: nullable(Type.Number()),
  steps_per_second: nullable(Type.Number({ description: '1 / median seconds per step over the recent logged steps' })),
  total_steps: nullable(Type.Integer()),
  total_steps_source: nullable(Type.String({ description: 'the config key, e.g. config.train_iters' })),
  eta_seconds: nullable(Type.Number({ description: 'remaining steps at the average recent rate, pauses included' })),
  stall_after_seconds: nullable(Type.Number({ description: "this run's current stall threshold" })),
  lost_after_seconds: nullable(Type.Number()),
  step_time_source: nullable(Type.String({ description: 'what "slow" is judged on: a framework metric, or "step timestamps"' })),
});

export const RunHealthSchema = Type.Object({
  run_id: Type.String(),
  rank: Type.Integer(),
  status: HealthStatusSchema,
  since: nullable(Type.Number({ description: 'epoch seconds the status began' })),
  progress: ProgressSchema,
  performance: PerformanceSchema,
  events: Type.Array(HealthEventSchema),
});

export const WorkloadHealthAnswer = Type.Object({
  workload_uid: Type.String(),
  status: HealthStatusSchema,
  evaluated_at: Type.Number({ description: 'server time of this answer; stalled and lost are judged at it' }),
  runs: Type.Array(RunHealthSchema),
});

export type HealthEventT = Static<typeof HealthEventSchema>;
export type RunHealthT = Static<typeof RunHealthSchema>;
export type ProgressT = Static<typeof ProgressSchema>;
export type PerformanceT = Static<typeof PerformanceSchema>;
export type WorkloadHealthAnswerT = Static<typeof WorkloadHealthAnswer>;
