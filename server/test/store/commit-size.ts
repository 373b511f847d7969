// Not a test: store CPU per point as a function of how many requests share a commit, for the
// stream of the benchmark's request-shape scenario (8 runs × 20 metrics). With 5 steps per
// request (100 points) a commit of 8 requests puts 5 points into each series it touches.
// Run: cd server && node --import tsx test/store/commit-size.ts [requests per commit,…] [steps per request]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MetricBatch, openStore } from '../../src/store/index.js';

const RUNS = 8;
const METRICS = 20;
const STEPS_PER_REQUEST = Number(process.argv[3] ?? 5);
const POINTS = 400_000;

async function cpuPerPoint(perCommit: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lens-commit-size-'));
  const store = await openStore(join(dir, 'lens.db'));
  const next = new Array<number>(RUNS).fill(0);
  const request = (run: number): MetricBatch => {
    const points = [];
    for (let s = next[run] as number; s < (next[run] as number) + STEPS_PER_REQUEST; s++) {
      for (let m = 0; m < METRICS; m++) points.push({ name: `m${m}`, step: s, value: Math.sin(s) + m, wall_time: 1.7e9 + s });
    }
    next[run] = (next[run] as number) + STEPS_PER_REQUEST;
    return { workload_uid: 'w', run_id: `r${run}`, rank: -1, identity: {}, points, received_at: 1.7e9 };
  };
  const cpu0 = process.cpuUsage();
  let written = 0;
  for (let r = 0; written < POINTS; ) {
    const commits = [];
    for (let i = 0; i < perCommit; i++, r++) {
      commits.push(store.writeMetrics(request(r % RUNS)));
      written += STEPS_PER_REQUEST * METRICS;
    }
    await Promise.all(commits);
  }
  await store.close(); // applies what is still staged, so every point is paid for
  const cpu = process.cpuUsage(cpu0);
  rmSync(dir, { recursive: true, force: true });
  return (cpu.user + cpu.system) / written;
}

for (const k of (process.argv[2] ?? '1,5,8,16,40,250').split(',').map(Number)) {
  console.log(
    `${k} requests/commit, ${STEPS_PER_REQUEST * METRICS} points each: ${(await cpuPerPoint(k)).toFixed(2)} µs CPU per point`,
  );
}
