// Versioned PostgreSQL schema. Append new migrations; never edit an applied one.
//
// Replicas of different versions run side by side during a rollout, so every migration is
// expand-then-contract: a version only adds (tables, nullable columns, indexes) what the new
// code needs while the old code keeps working; dropping what the old code used is a later
// migration, shipped once no replica runs the old code.
//
// Version 1 laid points out as on SQLite, one row per point. Version 2 stores them per
// (series, chunk of 256 steps) as three arrays in one row, with the chunk's rollup in plain
// columns of the same row (see CHUNK_LAYOUT_SQL below and the store README for why).
// - float8 holds NaN and ±Infinity natively.
// - chunks sit on a fixed grid, chunk = step >> 8, so any replica finds the row of a step
//   from the step alone, without in-process state.
// - runs.state NULL means "running": an upsert that carries no state leaves it as it was.
// - JSON is kept as text so it reads back byte for byte as it was written.

import type { Migration } from '../migration.js';
import { CHUNK_LAYOUT_SQL } from './chunk-layout-sql.js';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE workloads (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uid text NOT NULL UNIQUE,
  first_seen float8 NOT NULL,
  last_seen float8 NOT NULL,
  points bigint NOT NULL DEFAULT 0,
  last_step bigint
);
CREATE INDEX workloads_by_last_seen ON workloads (last_seen);

CREATE TABLE pods (
  workload_id bigint NOT NULL,
  pod_key text NOT NULL,
  pod_uid text,
  pod_name text,
  namespace text,
  host text,
  first_seen float8 NOT NULL,
  last_seen float8 NOT NULL,
  PRIMARY KEY (workload_id, pod_key)
);

CREATE TABLE runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workload_id bigint NOT NULL,
  run_id text NOT NULL,
  rank integer NOT NULL,
  project text,
  name text,
  config text,
  local_rank integer,
  node_rank integer,
  world_size integer,
  host text,
  pod_name text,
  pid integer,
  state text,
  exit_code integer,
  started_at float8,
  finished_at float8,
  first_seen float8 NOT NULL,
  last_seen float8 NOT NULL,
  points bigint NOT NULL DEFAULT 0,
  last_step bigint,
  UNIQUE (workload_id, run_id, rank)
);

CREATE TABLE metric_names (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workload_id bigint NOT NULL,
  name text NOT NULL,
  UNIQUE (workload_id, name)
);

CREATE TABLE series (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workload_id bigint NOT NULL,
  run_pk bigint NOT NULL,
  metric_id bigint NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  last_step bigint,
  last_value float8,
  last_time float8,
  fmin float8,
  fmax float8,
  UNIQUE (run_pk, metric_id)
);
CREATE INDEX series_by_metric ON series (metric_id);
CREATE INDEX series_by_workload ON series (workload_id);

CREATE TABLE points (
  series_id bigint NOT NULL,
  step bigint NOT NULL,
  value float8 NOT NULL,
  wall_time float8 NOT NULL,
  CONSTRAINT points_pkey PRIMARY KEY (series_id, step) INCLUDE (value, wall_time)
);

CREATE TABLE chunks (
  series_id bigint NOT NULL,
  chunk bigint NOT NULL,
  start_step bigint NOT NULL,
  end_step bigint NOT NULL,
  count integer NOT NULL,
  fmin float8,
  fmin_step bigint,
  fmax float8,
  fmax_step bigint,
  nan_step bigint,
  pinf_step bigint,
  ninf_step bigint,
  min_wall float8 NOT NULL,
  max_wall float8 NOT NULL,
  PRIMARY KEY (series_id, chunk)
);
CREATE INDEX chunks_by_min_wall ON chunks (min_wall);

CREATE TABLE detection_sources (
  workload_id bigint NOT NULL,
  source text NOT NULL,
  source_key text NOT NULL,
  result text,
  evidence text,
  hints text,
  reported_at float8 NOT NULL,
  PRIMARY KEY (workload_id, source, source_key)
);

CREATE TABLE workload_detection (
  workload_id bigint PRIMARY KEY,
  framework text NOT NULL,
  wrapper_framework text,
  base_framework text,
  confidence float8 NOT NULL,
  status text NOT NULL,
  merged text,
  updated_at float8 NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'api tokens and workload namespaces',
    // Only adds: older replicas never read these tables. Tokens are kept as a SHA-256 of the
    // secret only. A workload's namespace is claimed by the first report that names one
    // (INSERT … ON CONFLICT DO NOTHING, so the first claim wins across replicas); existing
    // workloads take the namespace of their first pod that reported one.
    sql: `
CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  name text NOT NULL,
  scope text NOT NULL,
  namespaces text[] NOT NULL,
  created_at float8 NOT NULL,
  created_by text,
  expires_at float8,
  last_used_at float8,
  revoked_at float8,
  revoked_by text
);

CREATE TABLE workload_namespaces (
  uid text PRIMARY KEY,
  namespace text NOT NULL,
  claimed_at float8 NOT NULL
);
CREATE INDEX workload_namespaces_by_namespace ON workload_namespaces (namespace);

INSERT INTO workload_namespaces (uid, namespace, claimed_at)
SELECT DISTINCT ON (w.id) w.uid, p.namespace, p.first_seen
FROM workloads w JOIN pods p ON p.workload_id = w.id
WHERE p.namespace IS NOT NULL
ORDER BY w.id, p.first_seen, p.pod_key COLLATE "C";
`,
  },
  {
    version: 3,
    name: 'training health',
    // As on SQLite (server/src/health/ has the meaning). The foreign keys cascade, so the
    // rows go with their run whoever deletes it (retention deletes runs by workload).
    sql: `
CREATE TABLE run_health (
  run_pk bigint PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  workload_id bigint NOT NULL,
  namespace text,
  version bigint NOT NULL,
  status text NOT NULL,
  since float8 NOT NULL,
  stall_at float8,
  lost_at float8,
  export_until float8,
  progress text NOT NULL,
  state text NOT NULL,
  updated_at float8 NOT NULL
);
CREATE INDEX run_health_by_workload ON run_health (workload_id);
CREATE INDEX run_health_by_stall ON run_health (stall_at) WHERE stall_at IS NOT NULL;
CREATE INDEX run_health_by_lost ON run_health (lost_at) WHERE lost_at IS NOT NULL;
CREATE INDEX run_health_by_export ON run_health (export_until);

CREATE TABLE health_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_pk bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  workload_id bigint NOT NULL,
  kind text NOT NULL,
  metric text NOT NULL,
  step bigint NOT NULL,
  value text,
  at float8 NOT NULL,
  detail text NOT NULL,
  UNIQUE (run_pk, kind, metric, step)
);
CREATE INDEX health_events_by_workload ON health_events (workload_id, at);
`,
  },
  {
    version: 4,
    name: 'points as arrays per chunk of 256 steps, rollup in the same row',
    sql: CHUNK_LAYOUT_SQL,
  },
];
