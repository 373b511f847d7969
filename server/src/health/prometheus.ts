// /metrics/training: one series per live run, labelled by workload, run, rank and namespace.
// A finished or failed run stays for exportGraceSeconds, a lost one for lostExportSeconds, then
// it is dropped, so the number of series follows the live runs (and maxExportedRuns caps it).
// The server's own /metrics keeps no workload labels. Written by hand rather than through a
// prom-client registry: with 1,000 runs the page has 12,000 series, and building label maps for
// each is most of what a scrape would cost.
import type { Store } from '../store/types.js';
import { progressOf, statusAt } from './read.js';
import { HEALTH_STATUSES } from './statuses.js';
import type { Thresholds } from './thresholds.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const GAUGES = {
  lens_run_up: '1 while the run reports (not lost, finished or failed), else 0',
  lens_run_last_step: 'Last step the run logged',
  lens_run_seconds_since_last_step: 'Seconds since a new step last arrived',
  lens_run_steps_per_second: 'Steps per second over the recent logged steps (1 / median seconds per step)',
  lens_run_eta_seconds: "Seconds to the run's total steps at its recent average rate (runs that report a total)",
  lens_run_health: "1 for the run's current health status, 0 for the others",
} as const;
type GaugeName = keyof typeof GAUGES;

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sample(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `namespaces`: only the runs of these training namespaces (a namespaced read token); null: all. */
export async function renderTrainingMetrics(
  store: Store,
  now: number,
  t: Thresholds,
  namespaces: ReadonlySet<string> | null = null,
): Promise<{ text: string; contentType: string }> {
  // One more than the cap tells whether anything was left out.
  const all = await store.listExportedRunHealth(now, t.maxExportedRuns + 1);
  const records = namespaces === null ? all : all.filter((r) => r.namespace !== null && namespaces.has(r.namespace));
  const truncated = records.length > t.maxExportedRuns;
  const shown = truncated ? records.slice(0, t.maxExportedRuns) : records;
  const lines: Record<GaugeName, string[]> = {
    lens_run_up: [],
    lens_run_last_step: [],
    lens_run_seconds_since_last_step: [],
    lens_run_steps_per_second: [],
    lens_run_eta_seconds: [],
    lens_run_health: [],
  };
  for (const r of shown) {
    const labels = `workload="${escapeLabel(r.workload_uid)}",run="${escapeLabel(r.run_id)}",rank="${r.rank}",namespace="${escapeLabel(r.namespace ?? '')}"`;
    const { status } = statusAt(r, now);
    const { progress } = progressOf(r, now);
    lines.lens_run_up.push(`lens_run_up{${labels}} ${status === 'lost' || status === 'finished' || status === 'failed' ? 0 : 1}`);
    if (progress.last_step !== null) lines.lens_run_last_step.push(`lens_run_last_step{${labels}} ${progress.last_step}`);
    if (progress.seconds_since_last_step !== null) {
      lines.lens_run_seconds_since_last_step.push(
        `lens_run_seconds_since_last_step{${labels}} ${sample(progress.seconds_since_last_step)}`,
      );
    }
    if (progress.steps_per_second !== null)
      lines.lens_run_steps_per_second.push(`lens_run_steps_per_second{${labels}} ${sample(progress.steps_per_second)}`);
    if (progress.eta_seconds !== null)
      lines.lens_run_eta_seconds.push(`lens_run_eta_seconds{${labels}} ${sample(progress.eta_seconds)}`);
    for (const s of HEALTH_STATUSES)
      lines.lens_run_health.push(`lens_run_health{${labels},status="${s}"} ${s === status ? 1 : 0}`);
  }
  const out: string[] = [];
  for (const name of Object.keys(GAUGES) as GaugeName[]) {
    out.push(`# HELP ${name} ${GAUGES[name]}`, `# TYPE ${name} gauge`, ...lines[name]);
  }
  out.push(
    '# HELP lens_training_runs_exported Runs on this page',
    '# TYPE lens_training_runs_exported gauge',
    `lens_training_runs_exported ${shown.length}`,
    '# HELP lens_training_runs_truncated 1 when more runs than LENS_HEALTH_MAX_EXPORTED_RUNS were live and the rest were left out',
    '# TYPE lens_training_runs_truncated gauge',
    `lens_training_runs_truncated ${truncated ? 1 : 0}`,
  );
  return { text: `${out.join('\n')}\n`, contentType: CONTENT_TYPE };
}
