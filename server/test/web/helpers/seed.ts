// Seeds the real server through the real ingest API (docs/wire-format.md), exactly as the
// exporter would: one run per body, our additive identity fields, non-finite values as strings.
import { gzipSync } from 'node:zlib';

export type SeedValue = number | 'NaN' | 'Infinity' | '-Infinity';

export interface Identity {
  workload: string;
  pod: string;
  runId: string;
  runName: string;
  project: string;
  rank: number;
  worldSize: number;
  /** POD_NAMESPACE; "default" when absent. */
  namespace?: string;
  /** Sent as the bearer token when the server requires one. */
  token?: string;
}

async function post(baseUrl: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'user-agent': 'primus-lens-wandb-exporter/test',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: gzipSync(JSON.stringify(body)),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${path} → ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A negative rank leaves rank and local_rank out, as a job without RANK sends it. */
function identity(id: Identity, now: number): Record<string, unknown> {
  const ranks = id.rank >= 0 ? { rank: id.rank, local_rank: id.rank } : {};
  return {
    source: 'wandb',
    workload_uid: id.workload,
    pod_uid: `uid-${id.pod}`,
    pod_name: id.pod,
    namespace: id.namespace ?? 'default',
    ...ranks,
    world_size: id.worldSize,
    node_rank: 0,
    host: `host-${id.pod}`,
    pid: 4000 + Math.max(0, id.rank),
    exporter_version: '0.3.0',
    run_id: id.runId,
    run: { id: id.runId, project: id.project, name: id.runName },
    timestamp: now,
  };
}

export async function postDetection(
  baseUrl: string,
  id: Identity,
  environment: Record<string, string>,
  imported: string[],
): Promise<Record<string, unknown>> {
  const now = Date.now() / 1000;
  return post(
    baseUrl,
    '/wandb/detection',
    {
      ...identity(id, now),
      type: 'framework_detection_raw',
      version: '1.0',
      report_seq: 0,
      reason: 'init',
      evidence: {
        wandb: { project: id.project, name: id.runName, id: id.runId, config: {}, tags: [] },
        environment,
        modules: { imported, initialized: {} },
      },
      hints: {
        possible_frameworks: [],
        wrapper_frameworks: [],
        base_frameworks: [],
        confidence: 'low',
        primary_indicators: [],
        timestamp: now,
      },
    },
    id.token,
  );
}

export interface PointRow {
  step: number;
  values: Record<string, SeedValue>;
}

/** One body per call; `finished` adds run_state so the run shows as finished with exit code 0. */
export async function postMetrics(baseUrl: string, id: Identity, rows: PointRow[], finished = false): Promise<void> {
  const now = Date.now() / 1000;
  const lastStep = rows.length ? (rows[rows.length - 1] as PointRow).step : 0;
  const metrics = rows.flatMap((row) =>
    Object.entries(row.values).map(([name, value]) => ({
      name,
      value,
      step: row.step,
      timestamp: now - (lastStep - row.step) * 0.01,
      tags: {},
    })),
  );
  const body: Record<string, unknown> = {
    ...identity(id, now),
    batch_id: `${id.runId}-${id.rank}-${rows[0]?.step ?? 0}`,
    step_semantics: 'wandb',
    rows: rows.length,
    metrics,
  };
  if (finished) body.run_state = { state: 'finished', exit_code: 0, finished_at: now };
  const response = await post(baseUrl, '/wandb/metrics', body, id.token);
  const data = response.data as { rejected?: number } | undefined;
  if (data?.rejected) throw new Error(`server rejected ${data.rejected} points: ${JSON.stringify(response).slice(0, 500)}`);
}

export async function getJson<T>(baseUrl: string, path: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`);
  if (!response.ok) throw new Error(`GET ${path} → ${response.status}`);
  return (await response.json()) as T;
}
