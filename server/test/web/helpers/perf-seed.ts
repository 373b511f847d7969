// The dashboard performance workload: PERF_METRICS metrics × PERF_POINTS points, ingested through
// the real API in a few large gzip bodies (the exporter batches the same way).
import { type Identity, type PointRow, postMetrics } from './seed.js';

export const PERF_METRICS = 20;
/** 100,000 points per metric is the target; LENS_WEB_PERF_POINTS lowers it on a slow machine. */
export const PERF_POINTS = Number(process.env.LENS_WEB_PERF_POINTS ?? 100_000);
const ROWS_PER_BODY = 5_000;
const CONCURRENT_BODIES = 2;

export async function seedPerfWorkload(baseUrl: string, workload: string): Promise<number> {
  const id: Identity = { workload, pod: 'perf-0', runId: 'perf-run', runName: 'perf', project: 'perf', rank: 0, worldSize: 1 };
  const names = Array.from({ length: PERF_METRICS }, (_, i) => `metric_${String(i).padStart(2, '0')}`);
  const bodies: Array<() => Promise<void>> = [];
  for (let start = 0; start < PERF_POINTS; start += ROWS_PER_BODY) {
    const end = Math.min(PERF_POINTS, start + ROWS_PER_BODY);
    bodies.push(() => {
      const rows: PointRow[] = [];
      for (let step = start; step < end; step++) {
        const values: Record<string, number> = {};
        for (let m = 0; m < names.length; m++)
          values[names[m] as string] = Math.exp(-step / 30_000) + 0.05 * Math.sin(step / 50 + m);
        rows.push({ step, values });
      }
      return postMetrics(baseUrl, id, rows);
    });
  }
  for (let i = 0; i < bodies.length; i += CONCURRENT_BODIES) {
    await Promise.all(bodies.slice(i, i + CONCURRENT_BODIES).map((send) => send()));
  }
  return PERF_POINTS * PERF_METRICS;
}
