// The merged framework detection as the query API answers it: the decision, each source with
// the indicators that matched, and the conflicts. The same schemas type the dashboard (a
// type-only import in web/src/types.ts). Objects allow extra keys: the detector adds fields over
// time, and a response schema must not drop them.
import { type Static, Type } from '@fastify/type-provider-typebox';
import { nullable } from '../http/json-shapes.js';

const open = { additionalProperties: true } as const;

export const IndicatorSchema = Type.Object(
  {
    signal: Type.String({ description: 'which kind of evidence: env_vars, modules_imported, config_keys, metric_names, …' }),
    framework: Type.String(),
    layer: Type.String({ description: 'wrapper | base' }),
    kind: Type.String({ description: 'declared, runtime, imported, installed, hint, discounted, …' }),
    weight: Type.Number(),
    detail: Type.Optional(Type.String()),
  },
  open,
);

export const ConflictSchema = Type.Object(
  {
    layer: Type.String({ description: 'wrapper | base' }),
    candidates: Type.Array(Type.Object({ framework: Type.String(), score: Type.Number() }, open)),
    resolution: Type.String(),
  },
  open,
);

/** Who sent a wandb report, in the job's own terms; `rank` is absent when the job set no RANK. */
export const ReporterSchema = Type.Object(
  {
    pod_name: Type.Optional(Type.String()),
    pod_uid: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    rank: Type.Optional(Type.Integer()),
    run_id: Type.Optional(Type.String()),
  },
  open,
);

export const DetectionSourceSchema = Type.Object(
  {
    source: Type.String({ description: "wandb (a report), metrics (the run's metric names), user (an override)" }),
    source_key: Type.String({ description: 'what a re-report replaces, e.g. pod/rank/run' }),
    reporter: Type.Optional(ReporterSchema),
    framework: Type.String(),
    wrapper_framework: nullable(Type.String()),
    base_framework: nullable(Type.String()),
    confidence: Type.Number(),
    method: Type.String(),
    indicators: Type.Array(IndicatorSchema),
    conflicts: Type.Array(ConflictSchema),
    detector_version: Type.Optional(Type.String()),
    reported_at: Type.Optional(Type.Number({ description: 'epoch seconds' })),
  },
  open,
);

export const DetectionAnswer = Type.Object({
  workload_uid: Type.String(),
  framework: Type.String(),
  wrapper_framework: nullable(Type.String()),
  base_framework: nullable(Type.String()),
  confidence: Type.Number(),
  status: Type.Union([
    Type.Literal('verified'),
    Type.Literal('confirmed'),
    Type.Literal('suspected'),
    Type.Literal('conflict'),
    Type.Literal('unknown'),
  ]),
  method: Type.String(),
  sources: Type.Array(DetectionSourceSchema),
  conflicts: Type.Array(ConflictSchema),
  updated_at: Type.Number(),
});

export type IndicatorT = Static<typeof IndicatorSchema>;
export type ConflictT = Static<typeof ConflictSchema>;
export type ReporterT = Static<typeof ReporterSchema>;
export type DetectionSourceT = Static<typeof DetectionSourceSchema>;
export type DetectionAnswerT = Static<typeof DetectionAnswer>;
