// Two real server processes (two ports) on one PostgreSQL database: started at the same
// moment on an empty database they migrate once; the same batches sent to both are stored
// once; what one ingests the other serves; two pods' detection reports for one workload sent
// at the same moment to different replicas both end up in the merged result.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { get, metricsBody, postJson } from '../support/app-server.js';
import { assertEachMigrationOnce, sql } from '../support/pg.js';
import { suiteReplicas } from '../support/server-process.js';

function detectionBody(workload: string, pod: string): Record<string, unknown> {
  return {
    source: 'wandb',
    type: 'framework_detection_raw',
    version: '1.0',
    workload_uid: workload,
    pod_uid: `${pod}-uid`,
    pod_name: pod,
    rank: 0,
    run_id: `run-${pod}`,
    timestamp: 1_704_067_200,
    evidence: {
      wandb: { project: 'p', name: pod, id: `run-${pod}`, config: { framework: 'primus' }, tags: [] },
      environment: { PRIMUS_CONFIG: '/c.yaml' },
    },
    hints: {
      possible_frameworks: ['primus'],
      confidence: 'high',
      primary_indicators: ['PRIMUS env vars'],
      timestamp: 1_704_067_200,
    },
  };
}

describe('two replicas on one PostgreSQL database', { timeout: 180_000 }, () => {
  const replicas = suiteReplicas();

  it('started at the same moment on an empty database, they applied each migration exactly once', async () => {
    await assertEachMigrationOnce(replicas.db.url);
    assert.equal((await get(replicas.a.base, '/readyz')).status, 200);
    assert.equal((await get(replicas.b.base, '/readyz')).status, 200);
  });

  it('the same batches sent to both replicas at once are stored exactly once', async () => {
    const sends = [];
    for (let i = 0; i < 20; i++) {
      const metrics = Array.from({ length: 250 }, (_, k) => [
        { name: 'loss', value: 1 / (i * 250 + k + 1), step: i * 250 + k },
        { name: 'lr', value: 3e-4, step: i * 250 + k },
      ]).flat();
      const body = metricsBody({ workload_uid: 'dup', run_id: 'r1' }, metrics);
      sends.push(
        postJson(replicas.a.base, '/api/v1/wandb/metrics', body),
        postJson(replicas.b.base, '/api/v1/wandb/metrics', body),
      );
    }
    const answers = await Promise.all(sends);
    assert.deepEqual(
      answers.map((r) => r.status),
      answers.map(() => 200),
      answers.find((r) => r.status !== 200)?.text,
    );
    const rows = await sql<{ n: number; distinct_keys: number }>(
      replicas.db.url,
      `SELECT count(*)::int AS n, count(DISTINCT (c.series_id, p.step))::int AS distinct_keys
       FROM series_chunks c CROSS JOIN LATERAL unnest(c.steps) AS p(step)`,
    );
    assert.deepEqual(rows, [{ n: 10_000, distinct_keys: 10_000 }]);
    for (const server of [replicas.a, replicas.b]) {
      const w = await get(server.base, '/api/v1/workloads/dup');
      assert.equal(w.json.points, 10_000, w.text);
      const m = await get(server.base, '/api/v1/workloads/dup/metrics');
      assert.deepEqual(
        m.json.metrics.map((x: { name: string; count: number }) => [x.name, x.count]),
        [
          ['loss', 5000],
          ['lr', 5000],
        ],
      );
    }
  });

  it('points ingested through one replica are served by the other', async () => {
    const r = await postJson(
      replicas.a.base,
      '/api/v1/wandb/metrics',
      metricsBody({ workload_uid: 'cross', run_id: 'r' }, [
        { name: 'loss', value: 'NaN', step: 1 },
        { name: 'loss', value: 0.25, step: 2 },
      ]),
    );
    assert.equal(r.status, 200, r.text);
    const s = await get(replicas.b.base, '/api/v1/workloads/cross/metrics/series?name=loss');
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(
      s.json.series[0].points.map((p: unknown[]) => [p[0], p[1]]),
      [
        [1, 'NaN'],
        [2, 0.25],
      ],
    );
  });

  it("two pods' detection reports sent at the same moment to different replicas both reach the merged result", async () => {
    const workloads = Array.from({ length: 8 }, (_, i) => `det-${i}`);
    const answers = await Promise.all(
      workloads.flatMap((w) => [
        postJson(replicas.a.base, '/api/v1/wandb/detection', detectionBody(w, 'pod-0')),
        postJson(replicas.b.base, '/api/v1/wandb/detection', detectionBody(w, 'pod-1')),
      ]),
    );
    assert.ok(
      answers.every((r) => r.status === 200),
      answers.map((r) => r.text).join('\n'),
    );
    for (const w of workloads) {
      const d = await get(replicas.a.base, `/api/v1/workloads/${w}/framework-detection`);
      assert.equal(d.status, 200, d.text);
      const keys = d.json.sources.map((s: { source_key: string }) => s.source_key).sort();
      assert.deepEqual(keys, ['pod-0/0/run-pod-0', 'pod-1/0/run-pod-1'], `${w}: ${d.text}`);
    }
  });
});
