// Not a test: a quick local measurement of the store's write rate and of downsampling a
// one-million-point series (target: <= 50 ms to 1,000 points). The real benchmark lives in
// bench/. Run: cd server && node --import tsx test/store/measure.ts [sqlite|postgres]
// (postgres: a private throw-away cluster with fsync on, so commits cost what they would).
import type { MetricBatch } from '../../src/store/index.js';
import { openForMeasurement } from './helpers.js';

const SERIES_POINTS = 1_000_000;
const BATCH_ROWS = 250; // steps per request
const METRICS_PER_ROW = 4; // 1,000 points per request
const CONCURRENT = 20; // requests in flight, like HTTP handlers awaiting the group commit

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'sqlite';
  const { store, done } = await openForMeasurement(backend);
  console.log(`backend: ${backend}`);
  try {
    const batchOf = (firstStep: number): MetricBatch => {
      const points = [];
      for (let s = firstStep; s < firstStep + BATCH_ROWS; s++) {
        for (let m = 0; m < METRICS_PER_ROW; m++) {
          const spike = m === 0 && s % 100_003 === 0;
          points.push({
            name: m === 0 ? 'loss' : `m${m}`,
            step: s,
            value: spike ? 1e6 : Math.sin(s / 1000) + m,
            wall_time: 1.7e9 + s * 0.01,
          });
        }
      }
      return { workload_uid: 'measure', run_id: 'r', rank: 0, identity: {}, points, received_at: 1.7e9 };
    };
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < SERIES_POINTS) {
        const first = next;
        next += BATCH_ROWS;
        await store.writeMetrics(batchOf(first));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    const writeS = (performance.now() - t0) / 1000;
    const total = SERIES_POINTS * METRICS_PER_ROW;
    console.log(`write: ${total} points in ${writeS.toFixed(1)} s = ${Math.round(total / writeS)} points/s`);

    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      const [series] = await store.querySeries({ workload_uid: 'measure', name: 'loss', max_points: 1000 });
      times.push(performance.now() - t);
      if (series === undefined || series.points.length > 1000 || series.total_points !== SERIES_POINTS) {
        throw new Error('unexpected downsampling result');
      }
      if (i === 0)
        console.log(
          `series: total ${series.total_points}, returned ${series.points.length}, spikes kept ${series.points.filter((p) => p[1] === 1e6).length}`,
        );
    }
    times.sort((a, b) => a - b);
    console.log(
      `querySeries 1M -> 1000: median ${times[7]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[14]!.toFixed(1)} ms (15 runs)`,
    );
    const t = performance.now();
    const ranged = await store.querySeries({
      workload_uid: 'measure',
      name: 'loss',
      from_step: 250_123,
      to_step: 750_321,
      max_points: 1000,
    });
    console.log(
      `querySeries 500k step range -> 1000: ${(performance.now() - t).toFixed(1)} ms, total ${ranged[0]?.total_points}`,
    );
  } finally {
    await store.close();
    done();
  }
}

await main();
