// POST /wandb/detection, /wandb/batch and GET/POST framework-detection over real HTTP:
// the quickstart's body and log lines, the original v0.1/v0.2 bodies, re-reports,
// the manual override, and the quickstart's connectivity curl.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V02_DOCUMENTED } from '../detection/fixtures.js';
import { BACKENDS, get, messages, metricsBody, postJson, send, suiteServer } from '../support/app-server.js';

/** What our exporter sends for the quickstart (env PRIMUS_CONFIG/PRIMUS_VERSION, config framework=primus). */
const quickstartBody = {
  source: 'wandb',
  type: 'framework_detection_raw',
  version: '1.0',
  workload_uid: 'my-workload-123',
  pod_uid: 'my-pod-456',
  pod_name: 'training-pod',
  namespace: '',
  rank: 0,
  run_id: 'run-1',
  timestamp: 1_704_067_200.1,
  evidence: {
    wandb: { project: 'my-project', name: 'my-run', id: 'run-1', config: { framework: 'primus', lr: 0.001 }, tags: [] },
    environment: { PRIMUS_CONFIG: '/config/primus.yaml', PRIMUS_VERSION: '1.2.3' },
    pytorch: { available: false },
    system: { python_version: '3.11.4', python_executable: '/usr/bin/python', platform: 'linux' },
  },
  hints: {
    possible_frameworks: ['primus'],
    confidence: 'high',
    primary_indicators: ['PRIMUS env vars'],
    timestamp: 1_704_067_200,
  },
};

/** The original exporter v0.1 (Nov 2025): hints with possible_frameworks only, no rank, no run_id. */
const v01Body = {
  source: 'wandb',
  type: 'framework_detection_raw',
  version: '1.0',
  workload_uid: 'legacy-01',
  pod_uid: 'u',
  pod_name: 'pod-a',
  namespace: 'ns',
  timestamp: 1_704_067_200.123,
  evidence: {
    wandb: { project: 'deepspeed-exp', name: 'r', id: 'abc123', config: { trainer: 'deepspeed' }, tags: ['x'] },
    environment: { DEEPSPEED_CONFIG: '/ds.json', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500' },
    pytorch: {
      available: true,
      version: '2.1.0',
      cuda_available: true,
      cuda_version: '12.1',
      detected_modules: { deepspeed: true, megatron: false, transformers: false, lightning: false },
    },
    system: { python_version: '3.10.12', python_executable: '/usr/bin/python', platform: 'linux' },
  },
  hints: {
    possible_frameworks: ['deepspeed'],
    confidence: 'high',
    primary_indicators: ['DEEPSPEED env vars'],
    timestamp: 1_704_067_200.1,
  },
};

/** The original v0.2 exporter's body, as its documentation gives it, from a workload of its own. */
const v02Body = {
  ...V02_DOCUMENTED,
  workload_uid: 'legacy-02',
  pod_uid: 'u2',
  pod_name: 'pod-b',
  namespace: 'ns',
  evidence: {
    ...(V02_DOCUMENTED.evidence as Record<string, unknown>),
    wandb: { project: 'p', name: 'n', id: 'run-02', config: { _wandb: { cli_version: '0.16' } }, tags: [] },
  },
};

for (const backend of BACKENDS)
  describe(backend, () => {
    describe('POST /api/v1/wandb/detection', () => {
      const s = suiteServer({}, {}, backend);

      it('detects primus (confidence 0.80) for the quickstart body and logs the two quickstart lines', async () => {
        const before = s.logs.length;
        const r = await postJson(s.base, '/api/v1/wandb/detection', quickstartBody);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.message, 'detection reported successfully');
        assert.equal(r.json.data.detection.framework, 'primus');
        assert.equal(r.json.data.detection.confidence, 0.8);
        const info = s.logs
          .slice(before)
          .filter((l) => Number(l.level) === 30)
          .map((l) => String(l.msg));
        assert.deepEqual(info, [
          'Processing WandB detection for workload my-workload-123',
          '✓ Detected framework from WandB: primus (confidence: 0.80)',
        ]);
      });

      it('answers GET framework-detection with the merged object, and a re-report does not add a source', async () => {
        const again = await postJson(s.base, '/api/v1/wandb/detection', { ...quickstartBody, report_seq: 1, reason: 'log' });
        assert.equal(again.status, 200);
        const d = await get(s.base, '/api/v1/workloads/my-workload-123/framework-detection');
        assert.equal(d.status, 200, d.text);
        for (const key of [
          'workload_uid',
          'framework',
          'wrapper_framework',
          'base_framework',
          'confidence',
          'status',
          'method',
          'sources',
          'conflicts',
          'updated_at',
        ]) {
          assert.ok(key in d.json, `missing ${key}`);
        }
        assert.equal(d.json.workload_uid, 'my-workload-123');
        assert.equal(d.json.framework, 'primus');
        assert.equal(d.json.sources.length, 1);
        // Who reported, in the job's own terms: the key alone hides POD_UID.
        assert.deepEqual(d.json.sources[0].reporter, {
          pod_name: 'training-pod',
          pod_uid: 'my-pod-456',
          rank: 0,
          run_id: 'run-1',
        });
        const runs = await get(s.base, '/api/v1/workloads/my-workload-123/runs');
        assert.equal(runs.json.runs[0].project, 'my-project');
        assert.equal(runs.json.runs[0].name, 'my-run');
        assert.deepEqual(runs.json.runs[0].config, { framework: 'primus', lr: 0.001 });
      });

      it('counts two pods on one machine as one origin: confirmed, not verified', async () => {
        for (const pod of ['pod-a', 'pod-b']) {
          const r = await postJson(s.base, '/api/v1/wandb/detection', {
            ...quickstartBody,
            workload_uid: 'w-one-host',
            pod_name: pod,
            pod_uid: `uid-${pod}`,
            host: 'node-1',
            run_id: pod,
          });
          assert.equal(r.status, 200, r.text);
        }
        const d = await get(s.base, '/api/v1/workloads/w-one-host/framework-detection');
        assert.equal(d.json.sources.length, 2);
        assert.equal(d.json.status, 'confirmed');
        assert.equal(d.json.confidence, 0.8);
      });

      it('lets GET /workloads filter on the detected framework and status', async () => {
        const primus = await get(s.base, '/api/v1/workloads?framework=primus');
        assert.ok(primus.json.workloads.some((w: { workload_uid: string }) => w.workload_uid === 'my-workload-123'));
        assert.ok(primus.json.workloads.every((w: { framework: string }) => w.framework === 'primus'));
        const status = primus.json.workloads[0].status as string;
        const byStatus = await get(s.base, `/api/v1/workloads?status=${status}`);
        assert.ok(byStatus.json.workloads.some((w: { workload_uid: string }) => w.workload_uid === 'my-workload-123'));
        const none = await get(s.base, '/api/v1/workloads?framework=jax');
        assert.equal(none.json.total, 0);
      });

      it('answers 404 with a clear body for a workload without detection', async () => {
        const d = await get(s.base, '/api/v1/workloads/nobody/framework-detection');
        assert.equal(d.status, 404);
        assert.equal(d.json.workload_uid, 'nobody');
        assert.match(d.json.error, /no framework detection/);
      });

      it('accepts the original v0.1 and v0.2 exporter bodies', async () => {
        const r1 = await postJson(s.base, '/v1/wandb/detection', v01Body);
        assert.equal(r1.status, 200, r1.text);
        assert.equal(r1.json.data.detection.framework, 'deepspeed');
        const r2 = await postJson(s.base, '/v1/wandb/detection', v02Body);
        assert.equal(r2.status, 200, r2.text);
        assert.equal(r2.json.data.detection.framework, 'primus');
        assert.equal(r2.json.data.detection.base_framework, 'megatron');
        // Their run id lives in evidence.wandb.id.
        const runs = await get(s.base, '/api/v1/workloads/legacy-02/runs');
        assert.equal(runs.json.runs[0].run_id, 'run-02');
      });

      it('POST framework-detection is a manual override that wins the merge', async () => {
        const o = await postJson(s.base, '/api/v1/workloads/legacy-01/framework-detection', {
          framework: 'megatron',
          note: 'checked the launcher',
        });
        assert.equal(o.status, 200, o.text);
        assert.equal(o.json.framework, 'megatron');
        assert.ok(o.json.sources.some((x: { source: string }) => x.source === 'user'));
        const d = await get(s.base, '/api/v1/workloads/legacy-01/framework-detection');
        assert.equal(d.json.framework, 'megatron');
        const bad = await postJson(s.base, '/api/v1/workloads/legacy-01/framework-detection', { confidence: 2 });
        assert.equal(bad.status, 400);
        assert.deepEqual(bad.json.errors.map((e: { path: string }) => e.path).sort(), ['/confidence', '/framework']);
      });

      it('answers the quickstart connectivity curl (form-encoded {"test": "data"}) with a 400 that says what is required', async () => {
        for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
          const r = await send(s.base, 'POST', '/api/v1/wandb/detection', '{"test": "data"}', { 'content-type': type });
          assert.equal(r.status, 400, `${type}: ${r.text}`);
          assert.equal(r.json.meta.code, 400);
          assert.deepEqual(r.json.data.errors, [
            { path: '/workload_uid', message: 'either workload_uid or pod_name is required' },
          ]);
        }
      });

      it('files a report that names no run under the workload only: no run, nothing left running', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/detection', { workload_uid: 'curl-check' });
        assert.equal(r.status, 200, r.text);
        const w = await get(s.base, '/api/v1/workloads/curl-check');
        assert.equal(w.status, 200, w.text);
        assert.equal(w.json.active_runs, 0);
        assert.equal(w.json.runs, 0);
        const runs = await get(s.base, '/api/v1/workloads/curl-check/runs');
        assert.deepEqual(runs.json.runs, []);
        // The same workload's real run still appears as soon as a report names it.
        const named = await postJson(s.base, '/api/v1/wandb/detection', { ...quickstartBody, workload_uid: 'curl-check' });
        assert.equal(named.status, 200, named.text);
        const after = await get(s.base, '/api/v1/workloads/curl-check/runs');
        assert.deepEqual(
          after.json.runs.map((x: { run_id: string }) => x.run_id),
          ['run-1'],
        );
      });

      it('answers 400 for evidence nested deeper than the limit, and stays up', async () => {
        let deep: unknown = 1;
        for (let i = 0; i < 200; i++) deep = { a: deep };
        const r = await postJson(s.base, '/api/v1/wandb/detection', { ...quickstartBody, evidence: { wandb: { config: deep } } });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.data.errors[0].path, '/evidence');
        assert.equal((await get(s.base, '/healthz')).status, 200);
      });
    });

    describe('metric-name fingerprint (no detection report needed)', () => {
      const s = suiteServer({}, {}, backend);
      const megatronStep = (step: number): unknown[] =>
        ['samples vs steps', 'learning-rate', 'batch-size', 'lm loss', 'loss-scale', 'grad-norm'].map((name, i) => ({
          name,
          value: i + 1 / step,
          step,
          timestamp: 1_704_067_200 + step,
          tags: {},
        }));

      it("gives a workload whose report never came a framework from its first metrics (the original exporter's bodies)", async () => {
        assert.equal((await get(s.base, '/api/v1/workloads/fp-1/framework-detection')).status, 404);
        const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'fp-1' }, megatronStep(1)));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.accepted, 6);
        const d = await get(s.base, '/api/v1/workloads/fp-1/framework-detection');
        assert.equal(d.status, 200, d.text);
        assert.deepEqual(
          [d.json.framework, d.json.base_framework, d.json.status, d.json.method],
          ['megatron', 'megatron', 'suspected', 'metric_names'],
        );
        assert.equal(d.json.sources.length, 1);
        const source = d.json.sources[0];
        assert.equal(source.source, 'metrics');
        assert.equal(source.source_key, 'pod-0/-1/run-a');
        assert.match(source.indicators[0].detail, /lm loss/);
        const list = await get(s.base, '/api/v1/workloads?framework=megatron');
        assert.ok(list.json.workloads.some((w: { workload_uid: string }) => w.workload_uid === 'fp-1'));
        assert.ok(messages(s).includes('✓ Detected framework from metric names: megatron (confidence: 0.45)'));
      });

      it('reads only the first batches, keeps one source per run, and a later batch without the names erases nothing', async () => {
        for (let step = 2; step <= 25; step++) {
          const names = step % 2 === 0 ? megatronStep(step) : [{ name: 'custom', value: 1, step, timestamp: 1, tags: {} }];
          assert.equal(
            (await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'fp-1' }, names))).status,
            200,
          );
        }
        const d = await get(s.base, '/api/v1/workloads/fp-1/framework-detection');
        assert.deepEqual([d.json.framework, d.json.sources.length], ['megatron', 1]);
        const generic = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'fp-generic' }));
        assert.equal(generic.status, 200);
        assert.equal(
          (await get(s.base, '/api/v1/workloads/fp-generic/framework-detection')).status,
          404,
          'loss/accuracy name nothing',
        );
      });

      it('merges with the report of the same run: the report wins, the names agree, no conflict', async () => {
        const report = {
          ...quickstartBody,
          workload_uid: 'fp-1',
          pod_name: 'pod-0',
          pod_uid: 'p1',
          rank: undefined,
          run_id: 'run-a',
          evidence: { ...quickstartBody.evidence, environment: { PRIMUS_CONFIG: '/c.yaml', PRIMUS_BACKEND: 'megatron' } },
        };
        assert.equal((await postJson(s.base, '/api/v1/wandb/detection', report)).status, 200);
        const d = await get(s.base, '/api/v1/workloads/fp-1/framework-detection');
        assert.deepEqual(
          [d.json.framework, d.json.wrapper_framework, d.json.base_framework, d.json.status],
          ['primus', 'primus', 'megatron', 'confirmed'],
        );
        assert.deepEqual(d.json.sources.map((x: { source: string }) => x.source).sort(), ['metrics', 'wandb']);
        assert.deepEqual(d.json.conflicts, []);
      });

      it('reads /wandb/logs rows too (HF Trainer names)', async () => {
        const logs = [1, 2].map((step) => ({
          step,
          data: {
            'train/loss': 1 / step,
            'train/grad_norm': 1,
            'train/learning_rate': 5e-5,
            'train/epoch': step / 10,
            'train/global_step': step,
          },
        }));
        const r = await postJson(s.base, '/api/v1/wandb/logs', { workload_uid: 'fp-hf', pod_name: 'p', run_id: 'r', logs });
        assert.equal(r.status, 200, r.text);
        const d = await get(s.base, '/api/v1/workloads/fp-hf/framework-detection');
        assert.deepEqual(
          [d.json.framework, d.json.wrapper_framework, d.json.status],
          ['transformers', 'transformers', 'suspected'],
        );
      });
    });

    describe('POST /api/v1/wandb/batch', () => {
      const s = suiteServer({}, {}, backend);

      it('processes detection, metrics and logs parts and reports each', async () => {
        const body = {
          detection: { ...quickstartBody, workload_uid: 'b1' },
          metrics: metricsBody({ workload_uid: 'b1' }),
          logs: { workload_uid: 'b1', pod_name: 'p', run_id: 'run-a', logs: [{ step: 101, data: { loss: 0.4 } }] },
        };
        const r = await postJson(s.base, '/api/v1/wandb/batch', body);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.success, true);
        assert.equal(r.json.data.results.detection.detection.framework, 'primus');
        assert.equal(r.json.data.results.metrics.accepted, 2);
        assert.equal(r.json.data.results.logs.accepted, 1);
        const series = await get(s.base, '/api/v1/workloads/b1/metrics/series?name=loss');
        assert.deepEqual(
          series.json.series[0].points.map((p: unknown[]) => p[0]),
          [100, 101],
        );
      });

      it('fails a bad part alone and says why', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/batch', {
          metrics: metricsBody({ workload_uid: 'b2' }),
          logs: { logs: [] },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.success, false);
        assert.equal(r.json.data.results.metrics.success, true);
        assert.equal(r.json.data.results.logs.success, false);
        assert.equal(r.json.data.results.logs.errors[0].path, '/logs/workload_uid');
      });

      it('answers 400 for an empty batch', async () => {
        const r = await postJson(s.base, '/api/v1/wandb/batch', {});
        assert.equal(r.status, 400);
        assert.match(r.json.data.errors[0].message, /at least one of detection, metrics, logs/);
      });

      it('logs the quickstart lines findable with grep WandB', async () => {
        const lines = messages(s).filter((m) => m.includes('WandB'));
        assert.ok(lines.includes('Processing WandB detection for workload b1'));
        assert.ok(lines.includes('✓ Detected framework from WandB: primus (confidence: 0.80)'));
        assert.ok(lines.includes('Processing WandB metrics: 2 metrics'));
      });
    });
  });
