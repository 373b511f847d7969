// /metrics/training: one series per live run, labelled by workload, run, rank and namespace.
// A finished or failed run stays for exportGraceSeconds, a lost one for lostExportSeconds, then
// it is dropped, so the number of series follows the live runs (and maxExportedRuns caps it).
// The server's own /metrics keeps no workload labels.
import { Gauge, Registry } from 'prom-client';
import type { Store } from '../store/types.js';
import { progressOf, statusAt } from './read.js';
import { HEALTH_STATUSES } from './statuses.js';
import type { Thresholds } from './thresholds.js';

const LABELS = ['workload', 'run', 'rank', 'namespace'] as const;
type Label = (typeof LABELS)[number];

export async function renderTrainingMetrics(store: Store, now: number, t: Thresholds): Promise<{ text: string; contentType: string }> {
  // One more than the cap tells whether anything was left out.
  const records = await store.listExportedRunHealth(now, t.maxExportedRuns + 1);
  const truncated = records.length > t.maxExportedRuns;
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, extra: string[] = []): Gauge<string> =>
    new Gauge({ name, help, labelNames: [...LABELS, ...extra], registers });
  const up = gauge('lens_run_up', '1 while the run reports (not lost, finished or failed), else 0');
  const lastStep = gauge('lens_run_last_step', 'Last step the run logged');
  const since = gauge('lens_run_seconds_since_last_step', 'Seconds since a new step last arrived');
  const rate = gauge('lens_run_steps_per_second', 'Steps per second over the recent logged steps (1 / median seconds per step)');
  const eta = gauge('lens_run_eta_seconds', 'Seconds to the run\'s total steps at its recent average rate (runs that report a total)');
  const health = gauge('lens_run_health', '1 for the run\'s current health status, 0 for the others', ['status']);
  const exported = new Gauge({ name: 'lens_training_runs_exported', help: 'Runs on this page', registers });
  const cut = new Gauge({ name: 'lens_training_runs_truncated', help: '1 when more runs than LENS_HEALTH_MAX_EXPORTED_RUNS were live and the rest were left out', registers });

  const shown = truncated ? records.slice(0, t.maxExportedRuns) : records;
  for (const r of shown) {
    const labels: Record<Label, string> = { workload: r.workload_uid, run: r.run_id, rank: String(r.rank), namespace: r.namespace ?? '' };
    const { status } = statusAt(r, now);
    const { progress } = progressOf(r, now);
    up.set(labels, status === 'lost' || status === 'finished' || status === 'failed' ? 0 : 1);
    if (progress.last_step !== null) lastStep.set(labels, progress.last_step);
    if (progress.seconds_since_last_step !== null) since.set(labels, progress.seconds_since_last_step);
    if (progress.steps_per_second !== null) rate.set(labels, progress.steps_per_second);
    if (progress.eta_seconds !== null) eta.set(labels, progress.eta_seconds);
    for (const s of HEALTH_STATUSES) health.set({ ...labels, status: s }, s === status ? 1 : 0);
  }
  exported.set(shown.length);
  cut.set(truncated ? 1 : 0);
  return { text: await registry.metrics(), contentType: registry.contentType };
}
