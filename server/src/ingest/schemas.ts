// Every ingest body and answer, defined once. These schemas validate requests and generate
// the OpenAPI document (docs/wire-format.md is the prose version of the same contract).
// Objects allow extra keys: clients add fields over time and old servers must ignore them.
import { type Static, type TSchema, Type } from '@fastify/type-provider-typebox';
import { nullable } from '../http/json-shapes.js';

const optStr = (description: string, maxLength = 1_024) => Type.Optional(nullable(Type.String({ maxLength, description })));
const optInt = (description: string) =>
  Type.Optional(nullable(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, description })));
/** Epoch seconds; the bounds also reject overflowed numbers such as 1e400 (= Infinity). */
const epochSeconds = (description: string) => Type.Number({ minimum: -1e15, maximum: 1e15, description });

/** Identity fields every body may carry (wire-format "Identity"). */
const identityFields = {
  source: optStr('"wandb"; informational', 64),
  workload_uid: optStr('Workload UID; empty → filed under "pod:<pod_name>"', 256),
  pod_uid: optStr('Pod UID', 256),
  pod_name: optStr('Pod name (HOSTNAME fallback on the client)', 256),
  namespace: optStr('Kubernetes namespace', 256),
  timestamp: Type.Optional(nullable(epochSeconds('Client send time, epoch seconds'))),
  rank: optInt('RANK; missing → -1'),
  local_rank: optInt('LOCAL_RANK'),
  world_size: optInt('WORLD_SIZE'),
  node_rank: optInt('Node rank (SLURM_NODEID > PET_NODE_RANK > NODE_RANK)'),
  host: optStr('socket.gethostname()', 256),
  pid: optInt('os.getpid()'),
  exporter_version: optStr('Exporter version', 64),
  run_id: optStr('wandb run id', 256),
  run: Type.Optional(
    nullable(
      Type.Object(
        { id: optStr('wandb run id', 256), project: optStr('wandb project', 512), name: optStr('wandb run name', 512) },
        { description: 'The wandb run this body belongs to' },
      ),
    ),
  ),
  batch_id: optStr('Unique per body; logged on errors', 256),
};
/** The identity part alone (ingest/identity.ts reads a body through it). */
export const IdentityPart = Type.Object(identityFields);

export const MetricValue = Type.Union(
  // Enum, not three literals: the validator drops later errors after a failed literal union.
  [Type.Number(), Type.Enum(['NaN', 'Infinity', '-Infinity']), Type.Boolean()],
  { description: 'A number, a non-finite spelling (bare tokens are accepted too), or a boolean stored as 0/1' },
);

export const MetricPoint = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 512, description: 'wandb key; nothing is reserved' }),
    value: MetricValue,
    step: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'wandb _step; missing → 0' })),
    timestamp: Type.Optional(nullable(epochSeconds('Wall time of the wandb.log call'))),
    tags: Type.Optional(Type.Unknown({ description: 'Accepted and ignored' })),
  },
  { description: 'One metric point; a bad point is rejected alone (200 with a reason)' },
);

export const RunState = Type.Object({
  state: Type.Union([Type.Literal('running'), Type.Literal('finished')]),
  exit_code: Type.Optional(nullable(Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647 }))),
  finished_at: Type.Optional(nullable(epochSeconds('When the run finished'))),
});

export const MetricsBody = Type.Object(
  {
    ...identityFields,
    metrics: Type.Optional(Type.Array(MetricPoint, { description: 'Points of one run; may be empty' })),
    rows: Type.Optional(Type.Integer({ minimum: 0, description: 'wandb rows in this body; informational' })),
    step_semantics: optStr('"wandb"', 32),
    run_state: Type.Optional(nullable(RunState)),
  },
  { description: "POST /wandb/metrics (the original exporter's body plus our additive fields)" },
);

export const LogEntry = Type.Object(
  {
    step: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    timestamp: Type.Optional(nullable(epochSeconds('Wall time of the row'))),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Row data; numeric leaves become points, nested keys joined with "."',
    }),
  },
  { description: 'One logged row' },
);

export const LogsBody = Type.Object(
  { ...identityFields, logs: Type.Optional(Type.Array(LogEntry)) },
  { description: "POST /wandb/logs (the original exporter's row body)" },
);

const looseObject = (description: string) => Type.Optional(nullable(Type.Record(Type.String(), Type.Unknown(), { description })));

export const Evidence = Type.Object(
  {
    wandb: looseObject('{project, name, id, config, tags}'),
    environment: looseObject('Framework-hint and launcher variables that are set'),
    pytorch: looseObject('{available, version, cuda_available, cuda_version, hip_version, detected_modules}'),
    wrapper_frameworks: looseObject('{name: {detected, version, initialized?, base_framework?}}'),
    base_frameworks: looseObject('{name: {detected, version, initialized?}}'),
    modules: looseObject('{imported: [name], initialized: {name: bool}}'),
    system: looseObject('{python_version, python_executable, platform}'),
    hardware: looseObject('{gpu_arch, gpu_count, gpu_memory_gb, gpu_name, gpu_vendor, rocm_version, cuda_version, source}'),
    software: looseObject('{packages: {name: version}, rocm_version}'),
    build: looseObject('{build_url, image_tag, git_commit, …}'),
  },
  { description: 'Detection evidence; every key optional' },
);

export const DetectionBody = Type.Object(
  {
    ...identityFields,
    type: optStr('"framework_detection_raw"', 64),
    version: optStr('"1.0"', 32),
    evidence: Type.Optional(nullable(Evidence)),
    hints: looseObject('Client-side pre-judgement; advisory'),
    report_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: optStr('init | log | finish | hardware', 32),
  },
  { description: "POST /wandb/detection (the original exporter's v0.1/v0.2 body plus our additive fields)" },
);

export const BatchBody = Type.Object(
  { detection: Type.Optional(DetectionBody), metrics: Type.Optional(MetricsBody), logs: Type.Optional(LogsBody) },
  { description: "POST /wandb/batch (the original exporter's combined body): any of the three bodies" },
);

export type MetricsBodyT = Static<typeof MetricsBody>;
export type LogsBodyT = Static<typeof LogsBody>;
export type DetectionBodyT = Static<typeof DetectionBody>;
export type BatchBodyT = Static<typeof BatchBody>;

// ---- answers ------------------------------------------------------------------------

export const Rejection = Type.Object({
  index: Type.Integer({ description: 'Index of the rejected item in its array' }),
  path: Type.String({ description: 'JSON pointer of the bad field' }),
  reason: Type.String(),
});

const Meta = Type.Object({ code: Type.Integer(), message: Type.String() });
const envelope = <T extends TSchema>(data: T, description: string) => Type.Object({ meta: Meta, data }, { description });

export const PointsResult = Type.Object({
  message: Type.String(),
  count: Type.Integer({ description: 'Items in the body' }),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(Rejection),
  workloads_count: Type.Integer(),
  success_count: Type.Integer(),
  workload_uid: Type.String(),
});

export const DetectionSummary = Type.Object({
  framework: Type.String(),
  wrapper_framework: nullable(Type.String()),
  base_framework: nullable(Type.String()),
  confidence: Type.Number(),
  method: nullable(Type.String()),
  status: Type.String(),
});

export const DetectionResultData = Type.Object({
  message: Type.String(),
  workloads_count: Type.Integer(),
  success_count: Type.Integer(),
  workload_uid: Type.String(),
  detection: DetectionSummary,
});

const PartResult = Type.Object(
  {
    success: Type.Boolean(),
    error: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    count: Type.Optional(Type.Integer()),
    accepted: Type.Optional(Type.Integer()),
    rejected: Type.Optional(Type.Integer()),
    rejections: Type.Optional(Type.Array(Rejection)),
    workloads_count: Type.Optional(Type.Integer()),
    success_count: Type.Optional(Type.Integer()),
    workload_uid: Type.Optional(Type.String()),
    detection: Type.Optional(DetectionSummary),
  },
  { description: 'Outcome of one part of a batch' },
);

export const BatchResultData = Type.Object({
  success: Type.Boolean({ description: 'Every present part succeeded' }),
  results: Type.Object({
    detection: Type.Optional(PartResult),
    metrics: Type.Optional(PartResult),
    logs: Type.Optional(PartResult),
  }),
});

export const IngestError = Type.Object(
  {
    meta: Meta,
    data: nullable(Type.Object({ errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })) })),
  },
  { description: 'Error envelope; data.errors names every bad field path' },
);

export const MetricsAnswer = envelope(PointsResult, 'Stored (after commit); per-item problems counted in rejected');
export const DetectionAnswer = envelope(DetectionResultData, 'Detection stored and merged');
export const BatchAnswer = envelope(BatchResultData, 'Per-part results');

export type PointsResultT = Static<typeof PointsResult>;
export type RejectionT = Static<typeof Rejection>;
export type DetectionResultDataT = Static<typeof DetectionResultData>;
export type PartResultT = Static<typeof PartResult>;
