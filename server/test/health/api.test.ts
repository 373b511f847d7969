// The health endpoints on a real app over a real socket and a real SQLite file, with a virtual
// clock: GET /workloads/{uid}/health, the list's health column and filter, /metrics/training
// (one series per live run, dropped after the grace), the OpenAPI document, the API token.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { get, postJson } from '../support/app-server.js';

const T0 = 1_800_000_000;

interface Harness {
  base: string;
  app: FastifyInstance;
  store: Store;
  clock: { now: number };
  close(): Promise<void>;
}

async function start(env: Record<string, string> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'lens-health-'));
  const config = loadConfig({
    LENS_DATABASE_URL: join(dir, 'lens.db'),
    LENS_LOG_LEVEL: 'silent',
    LENS_HEALTH_STALL_FLOOR_SECONDS: '300',
    LENS_HEALTH_SWEEP_INTERVAL_SECONDS: '3600',
    ...env,
  });
  const store = await openStore(config.databaseUrl);
  const clock = { now: T0 };
  const app = await buildApp(config, { store, clock: () => clock.now });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${address.port}`,
    app,
    store,
    clock,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function body(
  workload: string,
  run: string,
  rank: number,
  steps: number[],
  loss: (s: number) => number | string,
  extra: Record<string, unknown> = {},
) {
  return {
    workload_uid: workload,
    pod_name: `${workload}-${rank}`,
    namespace: 'team-a',
    run_id: run,
    rank,
    metrics: steps.flatMap((s) => [
      { name: 'lm loss', value: loss(s), step: s, timestamp: T0 + s },
      { name: 'iteration-time', value: 1, step: s, timestamp: T0 + s },
    ]),
    ...extra,
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('health over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await start();
  });
  after(async () => h?.close());

  test('GET /workloads/{uid}/health: the NaN step, the worst run, progress, performance with its source', async () => {
    await postJson(h.base, '/api/v1/wandb/detection', {
      workload_uid: 'job-1',
      pod_name: 'job-1-0',
      run_id: 'r',
      rank: 0,
      evidence: { wandb: { id: 'r', project: 'p', config: { train_iters: 1_000 } } },
    });
    for (const rank of [0, 1]) {
      const res = await postJson(
        h.base,
        '/api/v1/wandb/metrics',
        body('job-1', 'r', rank, range(0, 40), (s) => (rank === 1 && s >= 30 ? 'NaN' : 2)),
      );
      assert.equal(res.status, 200);
    }
    await h.app.lensHealth?.flush();
    const res = await get(h.base, '/api/v1/workloads/job-1/health');
    assert.equal(res.status, 200);
    const a = res.json;
    assert.equal(a.status, 'diverged');
    assert.equal(a.evaluated_at, T0);
    assert.deepEqual(
      a.runs.map((r: { rank: number; status: string }) => [r.rank, r.status]),
      [
        [0, 'healthy'],
        [1, 'diverged'],
      ],
    );
    assert.deepEqual(
      a.runs[1].events.map((e: Record<string, unknown>) => [e.kind, e.metric, e.step, e.value]),
      [['non_finite', 'lm loss', 30, 'NaN']],
    );
    const r0 = a.runs[0];
    assert.deepEqual(
      [r0.progress.last_step, r0.progress.total_steps, r0.progress.total_steps_source],
      [39, 1_000, 'config.train_iters'],
    );
    assert.equal(r0.progress.steps_per_second, 1);
    assert.equal(r0.progress.eta_seconds, 961, '961 steps left at 1 step/s');
    assert.deepEqual(r0.performance.iteration_time_s, { value: 1, source: 'iteration-time', step: 39 });
    assert.equal(r0.progress.step_time_source, 'iteration-time');
    assert.equal((await get(h.base, '/api/v1/workloads/nope/health')).status, 404);
  });

  test('the workload list has a health column and filter, judged at the server clock', async () => {
    await postJson(
      h.base,
      '/api/v1/wandb/metrics',
      body('job-2', 'r', 0, range(0, 20), () => 1),
    );
    await postJson(h.base, '/api/v1/wandb/detection', { workload_uid: 'job-3', pod_name: 'x', evidence: {} });
    await h.app.lensHealth?.flush();
    const list = async (q = '') => (await get(h.base, `/api/v1/workloads${q}`)).json;
    const health = (l: { workloads: Array<{ workload_uid: string; health: string }> }) =>
      Object.fromEntries(l.workloads.map((w) => [w.workload_uid, w.health]));
    assert.deepEqual(health(await list()), { 'job-1': 'diverged', 'job-2': 'healthy', 'job-3': 'unknown' });
    assert.deepEqual(
      (await list('?health=healthy')).workloads.map((w: { workload_uid: string }) => w.workload_uid),
      ['job-2'],
    );
    // job-1 goes on logging (rank 1 still NaN); job-2 has had no new step for 1,000 s (the floor is 300 s).
    h.clock.now = T0 + 1_000;
    for (const rank of [0, 1])
      await postJson(
        h.base,
        '/api/v1/wandb/metrics',
        body('job-1', 'r', rank, range(40, 45), () => (rank === 1 ? 'NaN' : 2)),
      );
    await h.app.lensHealth?.flush();
    assert.deepEqual(health(await list('?health=stalled')), { 'job-2': 'stalled' });
    assert.deepEqual(health(await list('?health=diverged')), { 'job-1': 'diverged' });
    assert.equal((await get(h.base, '/api/v1/workloads/job-2')).json.health, 'stalled');
    const bad = await get(h.base, '/api/v1/workloads?health=sleepy');
    assert.equal(bad.status, 400);
  });

  test('/metrics/training: labelled series for live runs; a finished run is dropped after the grace', async () => {
    h.clock.now = T0 + 1_000;
    let text = (await get(h.base, '/metrics/training')).text;
    assert.match(text, /lens_run_health\{workload="job-1",run="r",rank="1",namespace="team-a",status="diverged"\} 1/);
    assert.match(text, /lens_run_health\{workload="job-1",run="r",rank="1",namespace="team-a",status="healthy"\} 0/);
    assert.match(text, /lens_run_health\{workload="job-2",run="r",rank="0",namespace="team-a",status="stalled"\} 1/);
    assert.match(text, /lens_run_last_step\{workload="job-2",run="r",rank="0",namespace="team-a"\} 19/);
    assert.match(text, /lens_run_up\{workload="job-2",run="r",rank="0",namespace="team-a"\} 1/);
    assert.match(text, /lens_run_seconds_since_last_step\{workload="job-2",run="r",rank="0",namespace="team-a"\} 1000/);
    assert.match(text, /lens_training_runs_exported 3/);
    const runSeries = () => text.split('\n').filter((l) => l.startsWith('lens_run_health{')).length;
    assert.equal(runSeries(), 3 * 8, 'one series per status per run');
    await postJson(
      h.base,
      '/api/v1/wandb/metrics',
      body('job-2', 'r', 0, [20], () => 1, { run_state: { state: 'finished', exit_code: 0 } }),
    );
    await h.app.lensHealth?.flush();
    text = (await get(h.base, '/metrics/training')).text;
    assert.match(text, /lens_run_up\{workload="job-2",run="r",rank="0",namespace="team-a"\} 0/);
    h.clock.now = T0 + 1_000 + 901;
    text = (await get(h.base, '/metrics/training')).text;
    assert.doesNotMatch(text, /workload="job-2"/);
    assert.equal(runSeries(), 2 * 8);
    // The server's own /metrics still has no workload label.
    assert.doesNotMatch((await get(h.base, '/metrics')).text, /workload=/);
  });

  test('the OpenAPI document describes the health answer and the list filter', async () => {
    const doc = (await get(h.base, '/api/v1/openapi.json')).json;
    const op = doc.paths['/api/v1/workloads/{uid}/health'].get;
    const schema = op.responses['200'].content['application/json'].schema;
    assert.deepEqual(schema.properties.status.enum, [
      'failed',
      'diverged',
      'stalled',
      'lost',
      'slow',
      'healthy',
      'unknown',
      'finished',
    ]);
    assert.ok(schema.properties.runs.items.properties.events.items.properties.step);
    assert.ok(doc.paths['/api/v1/workloads'].get.parameters.some((p: { name: string }) => p.name === 'health'));
    assert.ok(doc.paths['/metrics/training']);
  });
});

describe('health settings', () => {
  test('with LENS_API_TOKEN, /metrics/training asks for the token like the API', async () => {
    const h = await start({ LENS_API_TOKEN: 's3cret' });
    try {
      assert.equal((await get(h.base, '/metrics/training')).status, 401);
      assert.equal((await get(h.base, '/metrics/training', { authorization: 'Bearer s3cret' })).status, 200);
      assert.equal((await get(h.base, '/metrics')).status, 200);
    } finally {
      await h.close();
    }
  });

  test('LENS_HEALTH=off: nothing is evaluated, the endpoints still answer', async () => {
    const h = await start({ LENS_HEALTH: 'off' });
    try {
      assert.equal(h.app.lensHealth, null);
      await postJson(
        h.base,
        '/api/v1/wandb/metrics',
        body('job', 'r', 0, [0, 1], () => 'NaN'),
      );
      assert.equal((await get(h.base, '/api/v1/workloads/job/health')).json.runs[0].status, 'unknown');
      assert.equal((await get(h.base, '/api/v1/workloads')).json.workloads[0].health, 'unknown');
    } finally {
      await h.close();
    }
  });
});

test('label values are escaped as the text format requires', async () => {
  const { escapeLabel } = await import('../../src/health/prometheus.js');
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});
