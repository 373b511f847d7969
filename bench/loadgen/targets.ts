// Pluggable targets: how each server wants the same points encoded and where they go.
import { gzipSync } from "node:zlib";
import type { Point } from "./stream.js";
import { postJson } from "./http.js";

export interface Encoded {
  path: string;
  body: Buffer;
  headers: Record<string, string>;
}

export interface Target {
  readonly name: string;
  /** Untimed preparation (MLflow needs an experiment and a run id per rank). */
  setup(runs: number): Promise<void>;
  encode(run: number, points: Point[]): Encoded;
  /** Throws when the server did not store the whole request. */
  check(status: number, body: string, sent: number): void;
}

export class OursTarget implements Target {
  readonly name: string;
  /**
   * `workloadOf(run)` names the workload a run belongs to: one tag for every run (the ranks
   * of one job), or one per replica to give each replica workloads of its own.
   */
  /**
   * `auth`: a bearer token sent with every request and the namespace the bodies report
   * (POD_NAMESPACE), as an exporter in a namespaced deployment sends them.
   */
  constructor(private readonly workloadOf: (run: number) => string, private readonly gzip: boolean,
    private readonly auth: { token?: string; namespace?: string } = {}) {
    this.name = gzip ? "ours-gzip" : "ours";
  }

  async setup(): Promise<void> {}

  encode(run: number, points: Point[]): Encoded {
    const body = {
      ...podIdentity(this.workloadOf(run), run),
      ...(this.auth.namespace ? { namespace: this.auth.namespace } : {}),
      run_id: `run-${run}`,
      rank: run,
      local_rank: run % 8,
      world_size: 8,
      host: "bench",
      pid: 1000 + run,
      run: { id: `run-${run}`, project: "bench", name: `rank-${run}` },
      step_semantics: "wandb",
      timestamp: Date.now() / 1000,
      metrics: points.map((p) => ({ name: p.name, value: p.value, step: p.step, timestamp: p.wallTime })),
    };
    const json = Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.auth.token) headers.authorization = `Bearer ${this.auth.token}`;
    if (!this.gzip) return { path: "/api/v1/wandb/metrics", body: json, headers };
    headers["content-encoding"] = "gzip";
    return { path: "/api/v1/wandb/metrics", body: gzipSync(json, { level: 1 }), headers };
  }

  check(status: number, body: string, sent: number): void {
    checkOurs(status, body, sent);
  }
}

/**
 * The original exporter's body (wire-format.md, legacy `POST /wandb/metrics`): identity and
 * run id only, no rank, no run object, and every point with its own `timestamp` and an empty
 * `tags` object, as that exporter sent them, about 100 points per request.
 */
export class LegacyTarget implements Target {
  readonly name = "ours-legacy";
  constructor(private readonly workloadOf: (run: number) => string) {}

  async setup(): Promise<void> {}

  encode(run: number, points: Point[]): Encoded {
    const body = {
      ...podIdentity(this.workloadOf(run), run),
      run_id: `run-${run}`,
      timestamp: Date.now() / 1000,
      metrics: points.map((p) => ({ name: p.name, value: p.value, step: p.step, timestamp: p.wallTime, tags: {} })),
    };
    return { path: "/api/v1/wandb/metrics", body: Buffer.from(JSON.stringify(body)), headers: { "content-type": "application/json" } };
  }

  check(status: number, body: string, sent: number): void {
    checkOurs(status, body, sent);
  }
}

/** The fields both of our bodies open with: the source and the pod a run reports from. */
function podIdentity(workloadUid: string, run: number) {
  return { source: "wandb", workload_uid: workloadUid, pod_uid: `pod-uid-${run}`, pod_name: `pod-${run}` };
}

function checkOurs(status: number, body: string, sent: number): void {
  if (status !== 200) throw new Error(`ours answered ${status}: ${body.slice(0, 300)}`);
  const parsed = JSON.parse(body) as { data?: { accepted?: number } };
  const accepted = parsed.data?.accepted;
  if (accepted !== undefined && accepted !== sent) {
    throw new Error(`ours accepted ${accepted} of ${sent}: ${body.slice(0, 300)}`);
  }
}

export class MlflowTarget implements Target {
  readonly name = "mlflow";
  private runIds: string[] = [];
  constructor(private readonly baseUrl: string, private readonly experiment: string) {}

  async setup(runs: number): Promise<void> {
    const exp = await postJson(this.baseUrl, "/api/2.0/mlflow/experiments/create", { name: this.experiment });
    const experimentId = String((exp as { experiment_id: string }).experiment_id);
    for (let r = 0; r < runs; r++) {
      const run = await postJson(this.baseUrl, "/api/2.0/mlflow/runs/create", {
        experiment_id: experimentId, run_name: `rank-${r}`, start_time: Date.now(),
      });
      this.runIds.push((run as { run: { info: { run_id: string } } }).run.info.run_id);
    }
  }

  encode(run: number, points: Point[]): Encoded {
    const body = {
      run_id: this.runIds[run],
      metrics: points.map((p) => ({ key: p.name, value: p.value, timestamp: Math.round(p.wallTime * 1000), step: p.step })),
    };
    return {
      path: "/api/2.0/mlflow/runs/log-batch",
      body: Buffer.from(JSON.stringify(body)),
      headers: { "content-type": "application/json" },
    };
  }

  check(status: number, body: string): void {
    if (status !== 200) throw new Error(`mlflow answered ${status}: ${body.slice(0, 300)}`);
  }
}
