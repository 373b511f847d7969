// Not a test: server CPU per point through the whole app in-process (app.inject: routing, body
// parsing, validation, handler, store on a real SQLite file; no sockets, so no load generator
// shares the measurement). Run: cd server && node --import tsx test/http/request-cost.ts STEPS [legacy|ours]
// [gzip] (20 metrics per step: 5 steps = a 100-point request; legacy = the original exporter's body).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/index.js';

const steps = Number(process.argv[2] ?? 5);
const legacy = process.argv[3] === 'legacy';
const gzip = process.argv[4] === 'gzip';
const dir = mkdtempSync(join(tmpdir(), 'lens-cost-'));
const config = loadConfig({ LENS_DATABASE_URL: join(dir, 'l.db'), LENS_LOG_LEVEL: 'info' });
const store = await openStore(config.databaseUrl);
const sink = new Writable({
  write(_c, _e, cb) {
    cb();
  },
});
const app = await buildApp(config, { store, logStream: sink as never });
await app.ready();
const next = new Array(8).fill(0);
function body(run: number): string {
  const metrics = [];
  for (let s = next[run]; s < next[run] + steps; s++)
    for (let m = 0; m < 20; m++) {
      metrics.push(
        legacy
          ? { name: `m${m}`, value: Math.sin(s + m), step: s, timestamp: 1.7e9 + s, tags: {} }
          : { name: `m${m}`, value: Math.sin(s + m), step: s, timestamp: 1.7e9 + s },
      );
    }
  next[run] += steps;
  const id = legacy
    ? {}
    : { rank: run, local_rank: run, world_size: 8, host: 'b', pid: 1, run: { id: `r${run}`, project: 'p', name: 'n' } };
  return JSON.stringify({
    source: 'wandb',
    workload_uid: 'w',
    pod_uid: `pu${run}`,
    pod_name: `p${run}`,
    run_id: `r${run}`,
    timestamp: 1.7e9,
    ...id,
    metrics,
  });
}
const N = Math.round(400_000 / (steps * 20));
const all: Array<string | Buffer> = [];
for (let i = 0; i < N; i++) all.push(gzip ? gzipSync(body(i % 8), { level: 1 }) : body(i % 8));
const headers = { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) };
for (let i = 0; i < 80; i += 8)
  await Promise.all(
    all.slice(i, i + 8).map((payload) => app.inject({ method: 'POST', url: '/api/v1/wandb/metrics', payload, headers })),
  );
const c0 = process.cpuUsage();
for (let i = 80; i < N; i += 8) {
  await Promise.all(
    all.slice(i, i + 8).map((payload) => app.inject({ method: 'POST', url: '/api/v1/wandb/metrics', payload, headers })),
  );
}
await store.getWorkload('w');
const c = process.cpuUsage(c0);
console.log(
  `${legacy ? 'legacy' : 'ours'}${gzip ? ' gzip' : ''} ${steps * 20} points/request: ${((c.user + c.system) / ((N - 80) * steps * 20)).toFixed(2)} us CPU per point`,
);
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
