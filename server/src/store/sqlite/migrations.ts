// Versioned schema. Append new migrations; never edit an applied one.
//
// Layout: strings are interned (workloads, runs, metric_names) so the hot table, points,
// stays four numbers wide. A series is one (run row, metric name) pair, where a run row
// is (workload, run_id, rank). points is keyed (series_id, step) WITHOUT ROWID: appends
// to a series land on one B-tree leaf, and a step range of one series is one range scan.
// chunks holds a small rollup per ~256 consecutive points of a series (see chunks.ts), so
// downsampling a million-point series reads thousands of rows, not millions.
// NaN is stored as value NULL (SQLite cannot hold NaN); ±Infinity are stored as REAL.

import type { Migration } from '../migration.js';
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE workloads (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  first_seen REAL NOT NULL,
  last_seen REAL NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER
);
CREATE INDEX workloads_by_last_seen ON workloads(last_seen);

CREATE TABLE pods (
  workload_id INTEGER NOT NULL,
  pod_key TEXT NOT NULL,
  pod_uid TEXT,
  pod_name TEXT,
  namespace TEXT,
  host TEXT,
  first_seen REAL NOT NULL,
  last_seen REAL NOT NULL,
  PRIMARY KEY (workload_id, pod_key)
) WITHOUT ROWID;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  workload_id INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  rank INTEGER NOT NULL,
  project TEXT,
  name TEXT,
  config TEXT,
  local_rank INTEGER,
  node_rank INTEGER,
  world_size INTEGER,
  host TEXT,
  pod_name TEXT,
  pid INTEGER,
  state TEXT NOT NULL DEFAULT 'running',
  exit_code INTEGER,
  started_at REAL,
  finished_at REAL,
  first_seen REAL NOT NULL,
  last_seen REAL NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER,
  UNIQUE (workload_id, run_id, rank)
);

CREATE TABLE metric_names (
  id INTEGER PRIMARY KEY,
  workload_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (workload_id, name)
);

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  workload_id INTEGER NOT NULL,
  run_pk INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER,
  last_value REAL,
  last_time REAL,
  fmin REAL,
  fmax REAL,
  UNIQUE (run_pk, metric_id)
);
CREATE INDEX series_by_metric ON series(metric_id);
CREATE INDEX series_by_workload ON series(workload_id);

CREATE TABLE points (
  series_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  wall_time REAL NOT NULL,
  PRIMARY KEY (series_id, step)
) WITHOUT ROWID;

CREATE TABLE chunks (
  series_id INTEGER NOT NULL,
  start_step INTEGER NOT NULL,
  end_step INTEGER NOT NULL,
  count INTEGER NOT NULL,
  fmin REAL,
  fmin_step INTEGER,
  fmax REAL,
  fmax_step INTEGER,
  nan_step INTEGER,
  pinf_step INTEGER,
  ninf_step INTEGER,
  min_wall REAL NOT NULL,
  max_wall REAL NOT NULL,
  PRIMARY KEY (series_id, start_step)
) WITHOUT ROWID;

CREATE TABLE detection_sources (
  workload_id INTEGER NOT NULL,
  source TEXT NOT NULL,
  source_key TEXT NOT NULL,
  result TEXT,
  evidence TEXT,
  hints TEXT,
  reported_at REAL NOT NULL,
  PRIMARY KEY (workload_id, source, source_key)
) WITHOUT ROWID;

CREATE TABLE workload_detection (
  workload_id INTEGER PRIMARY KEY,
  framework TEXT NOT NULL,
  wrapper_framework TEXT,
  base_framework TEXT,
  confidence REAL NOT NULL,
  status TEXT NOT NULL,
  merged TEXT,
  updated_at REAL NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'api tokens and workload namespaces',
    // Tokens are kept as a SHA-256 of the secret only. A workload's namespace is claimed by
    // the first report that names one and never changes (keyed by uid, so the claim can be
    // made before the workload's first row exists); existing workloads take the namespace of
    // their first pod that reported one.
    sql: `
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  namespaces TEXT NOT NULL,
  created_at REAL NOT NULL,
  created_by TEXT,
  expires_at REAL,
  last_used_at REAL,
  revoked_at REAL,
  revoked_by TEXT
);

CREATE TABLE workload_namespaces (
  uid TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  claimed_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX workload_namespaces_by_namespace ON workload_namespaces(namespace);

INSERT INTO workload_namespaces (uid, namespace, claimed_at)
SELECT w.uid, first.namespace, first.first_seen FROM workloads w
JOIN (SELECT p.workload_id, p.namespace, p.first_seen,
        row_number() OVER (PARTITION BY p.workload_id ORDER BY p.first_seen, p.pod_key) AS n
      FROM pods p WHERE p.namespace IS NOT NULL) first ON first.workload_id = w.id AND first.n = 1;
`,
  },
  {
    version: 3,
    name: 'ingest log',
    // Batches acknowledged but not yet written into the series tables (ingest-log.ts). `failed`
    // holds why a row could not be applied; such a row is kept for the operator.
    sql: `
CREATE TABLE ingest_log (
  id INTEGER PRIMARY KEY,
  meta TEXT NOT NULL,
  points BLOB NOT NULL,
  failed TEXT
);
`,
  },
  {
    version: 4,
    name: 'training health',
    // run_health: one row per run row, the evaluator's state and its last verdict (see
    // server/src/health/). health_events: what happened at which step, once per
    // (run, kind, metric, step); metric '' and step -1 stand for none, so the key is unique.
    // A trigger removes both with their run (retention deletes runs by workload).
    sql: `
CREATE TABLE run_health (
  run_pk INTEGER PRIMARY KEY,
  workload_id INTEGER NOT NULL,
  namespace TEXT,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  since REAL NOT NULL,
  stall_at REAL,
  lost_at REAL,
  export_until REAL,
  progress TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX run_health_by_workload ON run_health(workload_id);
CREATE INDEX run_health_by_stall ON run_health(stall_at) WHERE stall_at IS NOT NULL;
CREATE INDEX run_health_by_lost ON run_health(lost_at) WHERE lost_at IS NOT NULL;
CREATE INDEX run_health_by_export ON run_health(export_until);

CREATE TABLE health_events (
  id INTEGER PRIMARY KEY,
  run_pk INTEGER NOT NULL,
  workload_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  metric TEXT NOT NULL,
  step INTEGER NOT NULL,
  value TEXT,
  at REAL NOT NULL,
  detail TEXT NOT NULL,
  UNIQUE (run_pk, kind, metric, step)
);
CREATE INDEX health_events_by_workload ON health_events(workload_id, at);

CREATE TRIGGER runs_delete_health AFTER DELETE ON runs BEGIN
  DELETE FROM run_health WHERE run_pk = old.id;
  DELETE FROM health_events WHERE run_pk = old.id;
END;
`,
  },
];
