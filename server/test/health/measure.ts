// Not a test: the cost of health evaluation with many live runs, for bench/health.py.
//   node --import tsx test/health/measure.ts [--runs 1000] [--backend sqlite|postgres] [--rounds 5]
// Prints one JSON line. Each run first gets a history (its windows full), then every round gives
// each run one new batch (what one exporter flush of a Megatron-like job carries) and one flush
// evaluates and saves all of them; the sweep, the /metrics/training page and the health answer are
// timed with every run live, and the heap per cached run is measured after a forced GC.
import { renderTrainingMetrics } from '../../src/health/prometheus.js';
import { workloadHealthAnswer } from '../../src/health/read.js';
import { HealthService } from '../../src/health/service.js';
import { defaultThresholds } from '../../src/health/thresholds.js';
import type { MetricBatch } from '../../src/store/index.js';
import { openForMeasurement } from '../store/helpers.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const RUNS = Number(arg('runs', '1000'));
const BACKEND = arg('backend', 'sqlite');
const ROUNDS = Number(arg('rounds', '5'));
const HISTORY_ROWS = 200;
const ROWS_PER_BATCH = 10;
const RANKS = 8; // 1,000 runs = 125 workloads × 8 ranks

function batch(run: number, from: number, rows: number, t0: number): MetricBatch {
  const points = [];
  for (let s = from; s < from + rows; s++) {
    const wall = t0 + s * 1.5;
    points.push(
      { name: 'lm loss', step: s, value: 2 + Math.exp(-s / 500) + 0.02 * Math.sin(s + run), wall_time: wall },
      { name: 'learning-rate', step: s, value: 3e-4, wall_time: wall },
      { name: 'grad-norm', step: s, value: 1 + 0.1 * Math.sin(s), wall_time: wall },
      { name: 'loss-scale', step: s, value: 65_536, wall_time: wall },
      { name: 'iteration-time', step: s, value: 1.5, wall_time: wall },
    );
  }
  return {
    workload_uid: `job-${Math.floor(run / RANKS)}`,
    run_id: `run-${Math.floor(run / RANKS)}`,
    rank: run % RANKS,
    identity: { pod_name: `pod-${run}`, namespace: 'ml' },
    points,
    received_at: t0,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1_000;
};

async function main(): Promise<void> {
  const { store, done } = await openForMeasurement(BACKEND);
  const clock = { now: 1.8e9 };
  const health = new HealthService({ store, thresholds: defaultThresholds(), clock: () => clock.now });
  try {
    for (let r = 0; r < RUNS; r++) {
      const b = batch(r, 0, HISTORY_ROWS, clock.now);
      await store.writeMetrics(b);
      health.observeBatch(b);
    }
    await health.flush();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const flushMs: number[] = [];
    const flushCpuMs: number[] = [];
    const observeUs: number[] = [];
    let step = HISTORY_ROWS;
    for (let round = 0; round < ROUNDS; round++) {
      clock.now += ROWS_PER_BATCH * 1.5;
      const batches = Array.from({ length: RUNS }, (_, r) => batch(r, step, ROWS_PER_BATCH, clock.now));
      for (const b of batches) await store.writeMetrics(b);
      const o = performance.now();
      for (const b of batches) health.observeBatch(b);
      observeUs.push(((performance.now() - o) * 1_000) / RUNS);
      const c = cpuMs();
      const t = performance.now();
      await health.flush();
      flushMs.push(performance.now() - t);
      flushCpuMs.push(cpuMs() - c);
      step += ROWS_PER_BATCH;
    }
    gc?.();
    const heapPerRun = (process.memoryUsage().heapUsed - heapBefore) / RUNS;

    const time = async (fn: () => Promise<unknown>, reps = 5): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      return median(xs);
    };
    const t = defaultThresholds();
    const sweepNothingDueMs = await time(() => health.sweep(clock.now));
    const pageMs = await time(() => renderTrainingMetrics(store, clock.now, t));
    const page = await renderTrainingMetrics(store, clock.now, t);
    const answerMs = await time(() => workloadHealthAnswer(store, 'job-0', clock.now));
    const records = await store.getRunHealth([{ workload_uid: 'job-0', run_id: 'run-0', rank: 0 }]);
    const stateBytes = JSON.stringify(records[0]?.state ?? null).length;
    // Every run hangs: one sweep records 1,000 stalls.
    const st = performance.now();
    const stalled = await health.sweep(clock.now + 3_600);
    const sweepAllDueMs = performance.now() - st;
    console.log(
      JSON.stringify({
        backend: BACKEND,
        runs: RUNS,
        rounds: ROUNDS,
        rows_per_batch: ROWS_PER_BATCH,
        points_per_batch: ROWS_PER_BATCH * 5,
        observe_us_per_batch: median(observeUs),
        flush_ms_median: median(flushMs),
        flush_cpu_ms_median: median(flushCpuMs),
        flush_us_per_run: (median(flushMs) * 1_000) / RUNS,
        sweep_nothing_due_ms: sweepNothingDueMs,
        sweep_all_due_ms: sweepAllDueMs,
        stalls_recorded: stalled,
        metrics_page_ms: pageMs,
        metrics_page_bytes: page.text.length,
        metrics_page_series: page.text.split('\n').filter((l) => l.startsWith('lens_run')).length,
        health_answer_ms: answerMs,
        state_bytes_per_run: stateBytes,
        heap_bytes_per_cached_run: Math.round(heapPerRun),
      }),
    );
  } finally {
    await health.close();
    await store.close();
    done();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
