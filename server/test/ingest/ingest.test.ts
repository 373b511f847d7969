// POST /wandb/metrics and /wandb/logs over real HTTP against a real SQLite file: legacy
// bodies, NaN tokens, gzip, per-item rejections, idempotent re-delivery, identity fallback.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { BACKENDS, get, messages, metricsBody, postGzip, postJson, send, suiteServer } from '../support/app-server.js';

for (const backend of BACKENDS)
  describe(backend, () => {
    describe('POST /api/v1/wandb/metrics', () => {
      const s = suiteServer({}, {}, backend);

      it('stores the original exporter metrics body and answers in the original envelope', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody());
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.meta, { code: 2000, message: 'OK' });
        assert.equal(r.json.data.message, 'metrics reported successfully');
        assert.equal(r.json.data.count, 2);
        assert.equal(r.json.data.accepted, 2);
        assert.equal(r.json.data.rejected, 0);
        assert.equal(r.json.data.workloads_count, 1);
        assert.equal(r.json.data.success_count, 1);
        const m = await get(s.base, '/api/v1/workloads/w1/metrics');
        assert.deepEqual(
          m.json.metrics.map((x: { name: string }) => x.name),
          ['accuracy', 'loss'],
        );
        const loss = m.json.metrics.find((x: { name: string }) => x.name === 'loss');
        assert.equal(loss.last, 0.5234);
        assert.equal(loss.last_step, 100);
      });

      it('logs exactly one info line, "Processing WandB metrics: <n> metrics", per request', async () => {
        const before = s.logs.length;
        const r = await postJson(
          s.base,
          '/api/v1/wandb/metrics',
          metricsBody({ run_id: 'log-line' }, [
            { name: 'a', value: 1, step: 1 },
            { name: 'b', value: 2, step: 1 },
            { name: 'c', value: 3, step: 1 },
          ]),
        );
        assert.equal(r.status, 200);
        const lines = s.logs.slice(before).filter((l) => Number(l.level) >= 30);
        assert.equal(lines.length, 1, JSON.stringify(lines));
        assert.equal(lines[0]?.msg, 'Processing WandB metrics: 3 metrics');
        assert.match(JSON.stringify(lines[0]), /WandB/);
      });

      it("accepts Python's bare NaN / Infinity / -Infinity tokens and keeps them non-finite", async () => {
        const text =
          '{"workload_uid":"nan-w","pod_name":"p","run_id":"r","metrics":[' +
          '{"name":"grad NaN Infinity","value":NaN,"step":1},' +
          '{"name":"up","value":Infinity,"step":1},' +
          '{"name":"down","value": -Infinity,"step":1},' +
          '{"name":"fine","value":1.5,"step":1}]}';
        const r = await postJson(s.base, '/api/v1/wandb/metrics', text);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.accepted, 4);
        const m = await get(s.base, '/api/v1/workloads/nan-w/metrics');
        const byName = Object.fromEntries(m.json.metrics.map((x: { name: string; last: unknown }) => [x.name, x]));
        // The token inside the metric name (a string) was left alone.
        assert.equal(byName['grad NaN Infinity'].last, 'NaN');
        assert.equal(byName.up.last, 'Infinity');
        assert.equal(byName.down.last, '-Infinity');
        assert.equal(byName.up.min, null, 'min/max are over finite values only');
        assert.equal(byName.fine.last, 1.5);
      });

      it('accepts the string spellings "NaN"/"Infinity" and booleans as 1/0', async () => {
        const r = await postJson(
          s.base,
          '/api/v1/wandb/metrics',
          metricsBody({ workload_uid: 'str-w' }, [
            { name: 'n', value: 'NaN', step: 2 },
            { name: 'i', value: '-Infinity', step: 2 },
            { name: 't', value: true, step: 2 },
            { name: 'f', value: false, step: 2 },
          ]),
        );
        assert.equal(r.json.data.accepted, 4);
        const m = await get(s.base, '/api/v1/workloads/str-w/metrics');
        const last = Object.fromEntries(m.json.metrics.map((x: { name: string; last: unknown }) => [x.name, x.last]));
        assert.deepEqual(last, { f: 0, i: '-Infinity', n: 'NaN', t: 1 });
      });

      it('accepts gzip and deflate bodies (Content-Encoding)', async () => {
        const g = await postGzip(s.base, '/api/v1/wandb/metrics', JSON.stringify(metricsBody({ workload_uid: 'gz' })));
        assert.equal(g.status, 200, g.text);
        assert.equal(g.json.data.accepted, 2);
        const d = await send(
          s.base,
          'POST',
          '/api/v1/wandb/metrics',
          deflateSync(JSON.stringify(metricsBody({ workload_uid: 'gz', run_id: 'd' }))),
          {
            'content-type': 'application/json; charset=utf-8',
            'content-encoding': 'deflate',
          },
        );
        assert.equal(d.status, 200, d.text);
        const runs = await get(s.base, '/api/v1/workloads/gz/runs');
        assert.deepEqual(runs.json.runs.map((x: { run_id: string }) => x.run_id).sort(), ['d', 'run-a']);
      });

      it('is idempotent: re-delivery never duplicates and the last write wins', async () => {
        const body = metricsBody({ workload_uid: 'idem' }, [{ name: 'loss', value: 1, step: 7 }]);
        for (let i = 0; i < 3; i++) assert.equal((await postJson(s.base, '/api/v1/wandb/metrics', body)).status, 200);
        const changed = metricsBody({ workload_uid: 'idem' }, [{ name: 'loss', value: 2, step: 7 }]);
        assert.equal((await postJson(s.base, '/api/v1/wandb/metrics', changed)).status, 200);
        const m = await get(s.base, '/api/v1/workloads/idem/metrics');
        assert.equal(m.json.metrics[0].count, 1);
        assert.equal(m.json.metrics[0].last, 2);
        const series = await get(s.base, '/api/v1/workloads/idem/metrics/series?name=loss');
        assert.deepEqual(
          series.json.series[0].points.map((p: unknown[]) => p.slice(0, 2)),
          [[7, 2]],
        );
      });

      it('keeps one point per key when concurrent writers hit the same series', async () => {
        const writers = 16;
        const answers = await Promise.all(
          Array.from({ length: writers }, (_, w) =>
            postJson(
              s.base,
              '/api/v1/wandb/metrics',
              metricsBody(
                { workload_uid: 'race', run_id: 'r', rank: 0 },
                Array.from({ length: 500 }, (_, step) => ({ name: 'loss', value: w, step })),
              ),
            ),
          ),
        );
        assert.deepEqual(
          answers.map((a) => a.status),
          Array(writers).fill(200),
        );
        const m = await get(s.base, '/api/v1/workloads/race/metrics');
        assert.equal(m.json.metrics[0].count, 500);
        const series = await get(s.base, '/api/v1/workloads/race/metrics/series?name=loss&max_points=1000');
        const points = series.json.series[0].points as Array<[number, number, number]>;
        assert.deepEqual(
          points.map((p) => p[0]),
          Array.from({ length: 500 }, (_, i) => i),
        );
        assert.ok(
          points.every((p) => Number.isInteger(p[1]) && p[1] >= 0 && p[1] < writers),
          'every value comes from one of the writers',
        );
        assert.equal((await get(s.base, '/api/v1/workloads/race')).json.points, 500);
      });

      it('rejects bad points one by one (200 with reasons) and never stores null as 0', async () => {
        const r = await postJson(
          s.base,
          '/api/v1/wandb/metrics',
          metricsBody({ workload_uid: 'partial' }, [
            { name: 'ok', value: 1, step: 1 },
            { name: '', value: 1, step: 1 },
            { name: 'word', value: 'abc', step: 1 },
            { name: 'nothing', value: null, step: 1 },
            { name: 'negative-step', value: 1, step: -3 },
            { value: 4 },
            'not an object',
          ]),
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.count, 7);
        assert.equal(r.json.data.accepted, 1);
        assert.equal(r.json.data.rejected, 6);
        const paths = r.json.data.rejections.map((x: { path: string }) => x.path);
        assert.deepEqual(paths, [
          '/metrics/1/name',
          '/metrics/2/value',
          '/metrics/3/value',
          '/metrics/4/step',
          '/metrics/5/name',
          '/metrics/6',
        ]);
        assert.deepEqual(
          r.json.data.rejections.map((x: { index: number }) => x.index),
          [1, 2, 3, 4, 5, 6],
        );
        assert.match(r.json.data.rejections[1].reason, /value must be number or "NaN" or "Infinity" or "-Infinity" or boolean/);
        const m = await get(s.base, '/api/v1/workloads/partial/metrics');
        assert.deepEqual(
          m.json.metrics.map((x: { name: string }) => x.name),
          ['ok'],
        );
      });

      it('accepts an empty metrics list (200, count 0) and a body that only carries run_state', async () => {
        const r = await postJson(
          s.base,
          '/api/v1/wandb/metrics',
          metricsBody({ workload_uid: 'state' }, [{ name: 'loss', value: 1, step: 1 }]),
        );
        assert.equal(r.status, 200);
        const fin = await postJson(
          s.base,
          '/api/v1/wandb/metrics',
          metricsBody({ workload_uid: 'state', run_state: { state: 'finished', exit_code: 0, finished_at: 1_704_067_300 } }, []),
        );
        assert.equal(fin.status, 200, fin.text);
        assert.equal(fin.json.data.count, 0);
        const runs = await get(s.base, '/api/v1/workloads/state/runs');
        assert.equal(runs.json.runs[0].state, 'finished');
        assert.equal(runs.json.runs[0].exit_code, 0);
      });

      it('files a body without workload_uid under pod:<pod_name>', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: '', pod_name: 'trainer-7' }));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.workload_uid, 'pod:trainer-7');
        assert.equal((await get(s.base, '/api/v1/workloads/pod%3Atrainer-7')).status, 200);
      });

      it('answers 400 "either workload_uid or pod_name is required" without either', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: '', pod_name: '' }));
        assert.equal(r.status, 400);
        assert.deepEqual(r.json.data.errors[0], {
          path: '/workload_uid',
          message: 'either workload_uid or pod_name is required',
        });
      });

      it('answers 400 naming every bad field path of an unusable body', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/metrics', {
          workload_uid: 5,
          metrics: 'x',
          rank: 'zero',
          run_state: { state: 'paused' },
        });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.meta.code, 400);
        const paths = r.json.data.errors.map((e: { path: string }) => e.path).sort();
        assert.deepEqual(paths, ['/metrics', '/rank', '/run_state/state', '/workload_uid']);
      });

      it('answers 400 for malformed JSON, an empty body and a JSON array', async () => {
        const bad = await postJson(s.base, '/api/v1/wandb/metrics', '{"workload_uid": "w", "metrics": [');
        assert.equal(bad.status, 400);
        assert.match(bad.json.meta.message, /not valid JSON/);
        const empty = await send(s.base, 'POST', '/api/v1/wandb/metrics', '', { 'content-type': 'application/json' });
        assert.equal(empty.status, 400);
        const arr = await postJson(s.base, '/api/v1/wandb/metrics', '[1,2]');
        assert.equal(arr.status, 400);
      });

      it('serves the same routes under the /v1 alias', async () => {
        const r = await postJson(s.base, '/v1/wandb/metrics', metricsBody({ workload_uid: 'alias' }));
        assert.equal(r.status, 200);
        assert.equal((await get(s.base, '/v1/workloads/alias')).json.points, 2);
      });
    });

    describe('POST /api/v1/wandb/logs', () => {
      const s = suiteServer({}, {}, backend);

      it('stores numeric leaves of each row (nested keys joined with ".") and rejects the rest', async () => {
        const body = {
          source: 'wandb',
          workload_uid: 'logs-w',
          pod_uid: 'p',
          pod_name: 'pod-0',
          run_id: 'r1',
          timestamp: 1_704_067_200,
          logs: [
            {
              step: 100,
              timestamp: 1_704_067_200.1,
              data: { loss: 0.5, lr: 1e-4, opt: { beta: 0.9 }, note: 'warmup', flag: true },
            },
            { step: 101, data: { loss: 0.4 } },
          ],
        };
        const r = await postJson(s.base, '/api/v1/wandb/logs', body);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.message, 'training data reported successfully');
        assert.equal(r.json.data.count, 2);
        assert.equal(r.json.data.accepted, 5);
        assert.equal(r.json.data.rejected, 1);
        assert.equal(r.json.data.rejections[0].path, '/logs/0/data/note');
        const m = await get(s.base, '/api/v1/workloads/logs-w/metrics');
        assert.deepEqual(
          m.json.metrics.map((x: { name: string }) => x.name),
          ['flag', 'loss', 'lr', 'opt.beta'],
        );
        assert.ok(messages(s).includes('Processing WandB logs: 2 rows'));
      });
    });
  });
