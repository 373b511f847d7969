// The query API, the Grafana-compatible endpoints and the ops endpoints over real HTTP,
// on data ingested through the real ingest routes.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BACKENDS, get, metricsBody, postJson, suiteServer, type TestServer } from '../support/app-server.js';

const T0 = 1_704_067_200;

async function ingest(s: TestServer, overrides: Record<string, unknown>, metrics: unknown[]): Promise<void> {
  const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody(overrides, metrics));
  assert.equal(r.status, 200, r.text);
}

for (const backend of BACKENDS)
  describe(backend, () => {
    describe('query API', () => {
      const s = suiteServer({}, {}, backend);
      before(async () => {
        // Workload "q-old": a little data, seen first.
        await ingest(s, { workload_uid: 'q-old', run_id: 'r0' }, [{ name: 'loss', value: 3, step: 0, timestamp: T0 }]);
        // Workload "q-main": 10,000 steps on rank 0 with a spike and a NaN, 100 steps on rank 1.
        const points = Array.from({ length: 10_000 }, (_, i) => ({
          name: 'loss',
          value: 1 / (i + 1),
          step: i,
          timestamp: T0 + i,
        }));
        (points[5_000] as { value: unknown }).value = 1_000; // spike
        (points[7_777] as { value: unknown }).value = 'NaN';
        for (let i = 0; i < points.length; i += 2_000)
          await ingest(s, { workload_uid: 'q-main', run_id: 'r1', rank: 0 }, points.slice(i, i + 2_000));
        await ingest(
          s,
          { workload_uid: 'q-main', run_id: 'r1', rank: 1 },
          Array.from({ length: 100 }, (_, i) => ({ name: 'loss', value: i, step: i, timestamp: T0 + i })),
        );
        // Names the original hid (reserved) or zeroed must come through untouched.
        await ingest(s, { workload_uid: 'q-main', run_id: 'r1', rank: 0 }, [
          { name: 'step', value: 5, step: 1, timestamp: T0 + 1 },
          { name: 'source', value: 6, step: 1, timestamp: T0 + 1 },
          { name: 'train/grad_norm', value: 'Infinity', step: 2, timestamp: T0 + 2 },
        ]);
      });

      it('GET /workloads lists rows (last seen first) with counts and last_loss', async () => {
        const r = await get(s.base, '/api/v1/workloads');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.total, 2);
        assert.deepEqual(
          r.json.workloads.map((w: { workload_uid: string }) => w.workload_uid),
          ['q-main', 'q-old'],
        );
        const main = r.json.workloads[0];
        assert.equal(main.points, 10_103);
        assert.equal(main.runs >= 1, true);
        assert.equal(main.last_step, 9_999);
        for (const key of [
          'framework',
          'wrapper_framework',
          'base_framework',
          'confidence',
          'status',
          'first_seen',
          'last_seen',
          'pods',
          'last_loss',
          'active_runs',
        ]) {
          assert.ok(key in main, key);
        }
        const filtered = await get(s.base, '/api/v1/workloads?q=OLD&limit=1&offset=0');
        assert.deepEqual(
          filtered.json.workloads.map((w: { workload_uid: string }) => w.workload_uid),
          ['q-old'],
        );
        assert.equal(filtered.json.workloads[0].last_loss, 3);
      });

      it('GET /workloads validates its parameters (400 names the parameter)', async () => {
        const r = await get(s.base, '/api/v1/workloads?limit=0');
        assert.equal(r.status, 400);
        assert.equal(r.json.errors[0].path, '/limit');
        assert.equal((await get(s.base, '/api/v1/workloads?offset=abc')).status, 400);
      });

      it('GET /workloads/{uid} answers the summary, and 404 {error, workload_uid} when unknown', async () => {
        const r = await get(s.base, '/api/v1/workloads/q-main');
        assert.equal(r.status, 200);
        assert.equal(r.json.metrics, 4);
        assert.equal(r.json.detection, null);
        const missing = await get(s.base, '/api/v1/workloads/ghost');
        assert.equal(missing.status, 404);
        assert.deepEqual(
          { error: missing.json.error, workload_uid: missing.json.workload_uid },
          { error: 'workload not found', workload_uid: 'ghost' },
        );
        assert.equal((await get(s.base, '/api/v1/workloads/ghost/metrics')).status, 404);
        assert.equal((await get(s.base, '/api/v1/workloads/ghost/runs')).status, 404);
      });

      it('GET /workloads/{uid}/runs has one row per run and rank', async () => {
        const r = await get(s.base, '/api/v1/workloads/q-main/runs');
        const keys = r.json.runs.map((x: { run_id: string; rank: number }) => `${x.run_id}/${x.rank}`).sort();
        assert.deepEqual(keys, ['r1/0', 'r1/1']);
        assert.equal(r.json.runs[0].state, 'running');
      });

      it('GET /workloads/{uid}/metrics gives count, last, min and max over finite values', async () => {
        const r = await get(s.base, '/api/v1/workloads/q-main/metrics');
        assert.deepEqual(
          r.json.metrics.map((m: { name: string }) => m.name),
          ['loss', 'source', 'step', 'train/grad_norm'],
        );
        const loss = r.json.metrics[0];
        assert.equal(loss.count, 10_100);
        assert.equal(loss.max, 1_000);
        assert.equal(loss.min, 0);
        const grad = r.json.metrics[3];
        assert.equal(grad.last, 'Infinity');
        assert.equal(grad.min, null);
        assert.equal(grad.max, null);
      });

      it('GET /metrics/series downsamples per (run, rank) and keeps the spike and the NaN', async () => {
        const r = await get(s.base, '/api/v1/workloads/q-main/metrics/series?name=loss&rank=0&max_points=200');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.workload_uid, 'q-main');
        assert.equal(r.json.series.length, 1);
        const series = r.json.series[0];
        assert.equal(series.run_id, 'r1');
        assert.equal(series.total_points, 10_000);
        assert.equal(series.downsampled, true);
        assert.ok(series.points.length <= 200 && series.points.length >= 50, `${series.points.length} points`);
        const steps = series.points.map((p: number[]) => p[0]);
        assert.deepEqual(
          steps,
          [...steps].sort((a: number, b: number) => a - b),
          'sorted by step',
        );
        assert.ok(
          series.points.some((p: unknown[]) => p[0] === 5_000 && p[1] === 1_000),
          'spike kept',
        );
        assert.ok(
          series.points.some((p: unknown[]) => p[0] === 7_777 && p[1] === 'NaN'),
          'NaN kept',
        );
        assert.deepEqual(series.points[0], [0, 1, T0]);
        assert.equal(series.points.at(-1)[0], 9_999);
      });

      it('GET /metrics/series returns everything below max_points, one series per rank, and fetches incrementally', async () => {
        const all = await get(s.base, '/api/v1/workloads/q-main/metrics/series?name=loss&from_step=9990');
        const rank0 = all.json.series.find((x: { rank: number }) => x.rank === 0);
        const rank1 = all.json.series.find((x: { rank: number }) => x.rank === 1);
        assert.equal(rank1?.points.length ?? 0, 0, 'rank 1 stops at step 99');
        assert.deepEqual(
          rank0.points.map((p: number[]) => p[0]),
          [9990, 9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999],
        );
        assert.equal(rank0.downsampled, false);
        const both = await get(s.base, '/api/v1/workloads/q-main/metrics/series?name=loss&to_step=9');
        assert.deepEqual(both.json.series.map((x: { rank: number }) => x.rank).sort(), [0, 1]);
        const empty = await get(s.base, '/api/v1/workloads/q-main/metrics/series?name=loss&from_step=10000');
        assert.equal(empty.status, 200);
        assert.equal(
          empty.json.series.every((x: { points: unknown[] }) => x.points.length === 0),
          true,
        );
      });

      it('GET /metrics/series validates name and max_points', async () => {
        const noName = await get(s.base, '/api/v1/workloads/q-main/metrics/series');
        assert.equal(noName.status, 400);
        assert.deepEqual(
          noName.json.errors.map((e: { path: string }) => e.path),
          ['/name'],
        );
        const tiny = await get(s.base, '/api/v1/workloads/q-main/metrics/series?name=loss&max_points=1');
        assert.equal(tiny.status, 400);
        assert.equal(tiny.json.errors[0].path, '/max_points');
        assert.equal((await get(s.base, '/api/v1/workloads/ghost/metrics/series?name=loss')).status, 404);
      });
    });

    describe('Grafana-compatible endpoints (the original routes)', () => {
      const s = suiteServer({}, {}, backend);
      before(async () => {
        await ingest(s, { workload_uid: 'g1', run_id: 'r' }, [
          { name: 'step', value: 1, step: 1, timestamp: T0 + 1 },
          { name: 'history', value: 2, step: 1, timestamp: T0 + 1 },
          { name: 'loss', value: 0.5, step: 1, timestamp: T0 + 1 },
          { name: 'loss', value: 'NaN', step: 2, timestamp: T0 + 2 },
          { name: 'loss', value: 0.25, step: 3, timestamp: T0 + 3 },
        ]);
      });

      it('lists the wandb source and every metric name, reserved-looking ones included', async () => {
        const src = await get(s.base, '/v1/workloads/g1/metrics/sources');
        assert.deepEqual(src.json, { workload_uid: 'g1', data_sources: [{ name: 'wandb', count: 5 }], total_count: 1 });
        const avail = await get(s.base, '/v1/workloads/g1/metrics/available?data_source=wandb');
        assert.deepEqual(
          avail.json.metrics.map((m: { name: string }) => m.name),
          ['history', 'loss', 'step'],
        );
        const other = await get(s.base, '/v1/workloads/g1/metrics/available?data_source=tensorflow');
        assert.equal(other.json.total_count, 0);
      });

      it('/metrics/data returns raw points with ms timestamps; non-finite become gaps, never 0', async () => {
        const r = await get(
          s.base,
          `/v1/workloads/g1/metrics/data?data_source=wandb&metrics={loss,step}&start=${(T0 + 1) * 1000}&end=${(T0 + 3) * 1000}`,
        );
        assert.equal(r.status, 200, r.text);
        const loss = r.json.data.filter((d: { metric_name: string }) => d.metric_name === 'loss');
        assert.deepEqual(
          loss.map((d: { iteration: number; value: unknown; timestamp: number }) => [d.iteration, d.value, d.timestamp]),
          [
            [1, 0.5, (T0 + 1) * 1000],
            [2, null, (T0 + 2) * 1000],
            [3, 0.25, (T0 + 3) * 1000],
          ],
        );
        assert.equal(loss[1].value_text, 'NaN');
        assert.ok(r.json.data.some((d: { metric_name: string }) => d.metric_name === 'step'));
        assert.ok(!r.json.data.some((d: { metric_name: string }) => d.metric_name === 'history'));
        // start alone filters (the original needed both).
        const late = await get(s.base, `/v1/workloads/g1/metrics/data?metrics=loss&start=${(T0 + 3) * 1000}`);
        assert.deepEqual(
          late.json.data.map((d: { iteration: number }) => d.iteration),
          [3],
        );
        const bad = await get(s.base, '/v1/workloads/g1/metrics/data?start=yesterday');
        assert.equal(bad.status, 400);
        assert.equal(bad.json.errors[0].path, '/start');
      });

      it('/metrics/iteration-times gives the first wall time of each step', async () => {
        const r = await get(s.base, '/v1/workloads/g1/metrics/iteration-times');
        assert.deepEqual(
          r.json.data.map((d: { value: number; timestamp: number }) => [d.value, d.timestamp]),
          [
            [1, (T0 + 1) * 1000],
            [2, (T0 + 2) * 1000],
            [3, (T0 + 3) * 1000],
          ],
        );
      });
    });

    describe('operations endpoints', () => {
      const s = suiteServer({}, {}, backend);
      before(async () => {
        await ingest(s, { workload_uid: 'ops-w' }, [
          { name: 'loss', value: 1, step: 1 },
          { name: 'bad', value: 'x', step: 1 },
        ]);
      });

      it('/healthz and /readyz answer', async () => {
        assert.deepEqual((await get(s.base, '/healthz')).json, { status: 'ok' });
        assert.deepEqual((await get(s.base, '/readyz')).json, { status: 'ready' });
      });

      it('/metrics exposes ingest counters without a workload_uid label', async () => {
        const r = await get(s.base, '/metrics');
        assert.equal(r.status, 200);
        assert.match(String(r.headers['content-type']), /text\/plain/);
        assert.match(r.text, /lens_points_ingested_total\{endpoint="metrics"\} 1/);
        assert.match(r.text, /lens_points_rejected_total\{reason="invalid_value"\} 1/);
        assert.match(r.text, /lens_http_requests_total\{method="POST",route="\/api\/v1\/wandb\/metrics",status="200"\} 1/);
        for (const name of [
          'lens_ingest_batch_points',
          'lens_ingest_duration_seconds',
          'lens_db_write_duration_seconds',
          'lens_write_queue_points',
        ]) {
          assert.ok(r.text.includes(name), name);
        }
        assert.ok(!r.text.includes('workload_uid'), 'no workload_uid label');
      });

      it('/api/v1/openapi.json documents every /api/v1 route from the same schemas, and hides the /v1 alias', async () => {
        const r = await get(s.base, '/api/v1/openapi.json');
        assert.equal(r.status, 200);
        assert.equal(r.json.openapi, '3.0.3');
        const paths = Object.keys(r.json.paths);
        for (const p of [
          '/api/v1/wandb/detection',
          '/api/v1/wandb/metrics',
          '/api/v1/wandb/logs',
          '/api/v1/wandb/batch',
          '/api/v1/workloads',
          '/api/v1/workloads/{uid}',
          '/api/v1/workloads/{uid}/runs',
          '/api/v1/workloads/{uid}/metrics',
          '/api/v1/workloads/{uid}/metrics/series',
          '/api/v1/workloads/{uid}/framework-detection',
          '/api/v1/workloads/{uid}/metrics/data',
          '/healthz',
          '/readyz',
          '/metrics',
        ]) {
          assert.ok(paths.includes(p), p);
        }
        assert.ok(!paths.some((p) => p.startsWith('/v1/')), 'alias hidden');
        const metricsOp = r.json.paths['/api/v1/wandb/metrics'].post;
        const schema = metricsOp.requestBody.content['application/json'].schema;
        assert.ok(schema.properties.metrics.items.properties.value, 'point schema documented');
      });
    });
  });
