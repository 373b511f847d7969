// List and summary reads: the rows the query API serves, computed from aggregates.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

for (const backend of BACKENDS)
  describe(backend, () => {
    test('listWorkloads: sorted by last_seen desc, counts, last_loss, filters and paging', () =>
      withStore(backend, async ({ store: s }) => {
        await s.writeMetrics(
          batch({
            workload_uid: 'job-a',
            received_at: 100,
            identity: { pod_name: 'a-0' },
            points: pts('loss', 0, 10, (x) => 10 - x),
          }),
        );
        await s.writeMetrics(
          batch({
            workload_uid: 'job-a',
            rank: 1,
            received_at: 110,
            identity: { pod_name: 'a-1' },
            points: pts('loss', 0, 12, (x) => 20 - x),
          }),
        );
        await s.writeMetrics(
          batch({
            workload_uid: 'job-b',
            received_at: 300,
            points: [...pts('val_loss', 0, 3, () => 7), ...pts('train/loss', 0, 5, (x) => x / 10), ...pts('lr', 0, 5, () => 1)],
          }),
        );
        await s.writeMetrics(
          batch({
            workload_uid: 'other',
            received_at: 200,
            points: pts('acc', 0, 2, () => 1),
            run_state: { state: 'finished', exit_code: 0, finished_at: 201 },
          }),
        );
        await s.saveWorkloadDetection({
          workload_uid: 'job-a',
          framework: 'primus',
          wrapper_framework: 'primus',
          base_framework: 'megatron',
          confidence: 0.8,
          status: 'confirmed',
          merged: { framework: 'primus', sources: [] },
          updated_at: 120,
        });

        const all = await s.listWorkloads({ limit: 100, offset: 0 });
        assert.equal(all.total, 3);
        assert.deepEqual(
          all.workloads.map((w) => w.workload_uid),
          ['job-b', 'other', 'job-a'],
        );
        const a = all.workloads[2]!;
        assert.deepEqual(a, {
          workload_uid: 'job-a',
          framework: 'primus',
          wrapper_framework: 'primus',
          base_framework: 'megatron',
          confidence: 0.8,
          status: 'confirmed',
          first_seen: 100,
          last_seen: 120,
          runs: 2,
          pods: 2,
          points: 22,
          last_step: 11,
          // rank 1 wrote last (wall time 1.7e9+11): its step-11 value
          last_loss: 9,
          active_runs: 2,
          namespace: null,
        });
        const b = all.workloads[0]!;
        assert.equal(b.last_loss, 0.4, '"train/loss" sorts before "val_loss" when there is no "loss"');
        assert.equal(b.framework, null);
        assert.equal(all.workloads[1]?.active_runs, 0);
        assert.equal(all.workloads[1]?.last_loss, null);

        assert.deepEqual(
          (await s.listWorkloads({ q: 'JOB', limit: 100, offset: 0 })).workloads.map((w) => w.workload_uid),
          ['job-b', 'job-a'],
        );
        assert.deepEqual((await s.listWorkloads({ framework: 'primus', limit: 100, offset: 0 })).total, 1);
        assert.deepEqual((await s.listWorkloads({ status: 'verified', limit: 100, offset: 0 })).total, 0);
        const page = await s.listWorkloads({ limit: 1, offset: 1 });
        assert.deepEqual([page.total, page.workloads.map((w) => w.workload_uid)], [3, ['other']]);
      }));

    test('getWorkload: the row plus detection and the number of metric names; null when unknown', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(batch({ points: [...pts('loss', 0, 3, (x) => x), ...pts('lr', 0, 3, () => 1)] }));
        assert.equal(await t.store.getWorkload('nope'), null);
        let w = await t.store.getWorkload('w1');
        assert.equal(w?.detection, null);
        assert.equal(w?.metrics, 2);
        await t.store.saveWorkloadDetection({
          workload_uid: 'w1',
          framework: 'deepspeed',
          wrapper_framework: null,
          base_framework: null,
          confidence: 0.6,
          status: 'suspected',
          merged: { framework: 'deepspeed', conflicts: [] },
          updated_at: 5,
        });
        w = await t.store.getWorkload('w1');
        assert.deepEqual(w?.detection, { framework: 'deepspeed', conflicts: [] });
        assert.equal(w?.framework, 'deepspeed');
      }));

    test('listRuns: identity, run info from detection, lifecycle state', () =>
      withStore(backend, async ({ store: s }) => {
        const identity = { pod_name: 'pod-3', host: 'node-b', pid: 4242, local_rank: 3, node_rank: 1, world_size: 8 };
        await s.upsertRun({
          workload_uid: 'w1',
          run_id: 'abc',
          rank: 3,
          identity,
          run: { project: 'proj', name: 'exp-1', config: { lr: 3e-4, layers: [1, 2] } },
          started_at: 1000.5,
          received_at: 1001,
        });
        await s.writeMetrics(batch({ run_id: 'abc', rank: 3, identity, received_at: 1010, points: pts('loss', 5, 8, (x) => x) }));
        await s.writeMetrics(
          batch({
            run_id: 'abc',
            rank: 3,
            identity: {},
            received_at: 1020,
            points: [],
            run_state: { state: 'finished', exit_code: 1, finished_at: 1019 },
          }),
        );
        const [run] = await s.listRuns('w1');
        assert.deepEqual(run, {
          run_id: 'abc',
          project: 'proj',
          name: 'exp-1',
          rank: 3,
          local_rank: 3,
          node_rank: 1,
          world_size: 8,
          host: 'node-b',
          pod_name: 'pod-3',
          pid: 4242,
          state: 'finished',
          exit_code: 1,
          started_at: 1000.5,
          finished_at: 1019,
          last_seen: 1020,
          last_step: 7,
          points: 3,
          config: { lr: 3e-4, layers: [1, 2] },
        });
        const w = await s.getWorkload('w1');
        assert.equal(w?.active_runs, 0);
        assert.equal(w?.pods, 1);
      }));

    test('listMetricNames: per name over all runs/ranks, sorted; last is the latest in wall time', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(
          batch({
            run_id: 'r1',
            points: [
              { name: 'loss', step: 10, value: 5, wall_time: 50 },
              { name: 'loss', step: 11, value: Infinity, wall_time: 51 },
            ],
          }),
        );
        await t.store.writeMetrics(
          batch({
            run_id: 'r2',
            rank: 1,
            points: [
              { name: 'loss', step: 3, value: -2, wall_time: 60 },
              { name: 'a/b', step: 0, value: 1, wall_time: 1 },
            ],
          }),
        );
        assert.deepEqual(await t.store.listMetricNames('w1'), [
          { name: 'a/b', count: 1, last: 1, min: 1, max: 1, last_step: 0, last_time: 1 },
          { name: 'loss', count: 3, last: -2, min: -2, max: 5, last_step: 3, last_time: 60 },
        ]);
        assert.deepEqual(await t.store.listMetricNames('nope'), []);
      }));

    test('detection sources: a re-report updates its source, never duplicates', () =>
      withStore(backend, async (t) => {
        const rec = {
          workload_uid: 'w9',
          source: 'wandb' as const,
          source_key: 'pod-0/0/run',
          result: { framework: 'megatron' },
          evidence: { environment: { MEGATRON: '1' } },
          hints: { possible_frameworks: ['megatron'] },
          reported_at: 10,
        };
        await t.store.upsertDetectionSource(rec);
        await t.store.upsertDetectionSource({ ...rec, result: { framework: 'primus' }, reported_at: 20 });
        await t.store.upsertDetectionSource({
          ...rec,
          source: 'user',
          source_key: 'manual',
          result: { framework: 'jax' },
          evidence: undefined,
          hints: null,
        });
        const list = await t.store.listDetectionSources('w9');
        assert.deepEqual(
          list.map((r) => [r.source, r.source_key, r.result, r.reported_at]),
          [
            ['user', 'manual', { framework: 'jax' }, 10],
            ['wandb', 'pod-0/0/run', { framework: 'primus' }, 20],
          ],
        );
        assert.equal(list[0]?.evidence, null);
        assert.ok(await t.store.getWorkload('w9'), 'a detection report makes the workload known');
        assert.equal(await t.store.getWorkloadDetection('w9'), null);
        const merged = {
          workload_uid: 'w9',
          framework: 'jax',
          wrapper_framework: null,
          base_framework: 'jax',
          confidence: 1,
          status: 'verified',
          merged: { framework: 'jax', method: 'user' },
          updated_at: 30,
        };
        await t.store.saveWorkloadDetection(merged);
        await t.store.saveWorkloadDetection({ ...merged, confidence: 0.99, updated_at: 31 });
        assert.deepEqual(await t.store.getWorkloadDetection('w9'), { ...merged, confidence: 0.99, updated_at: 31 });
      }));

    test('Grafana-compat raw points and step times: nothing reserved, time range, names, limit', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(
          batch({
            points: [
              { name: 'step', step: 1, value: 1, wall_time: 10 },
              { name: 'history', step: 1, value: 2, wall_time: 11 },
              { name: 'run_id', step: 2, value: NaN, wall_time: 12 },
              { name: 'step', step: 2, value: 3, wall_time: 13 },
            ],
          }),
        );
        const all = await t.store.queryRawPoints({ workload_uid: 'w1', limit: 100 });
        assert.deepEqual(
          all.map((p) => [p.metric_name, p.step, p.value, p.wall_time, p.run_id, p.rank]),
          [
            ['step', 1, 1, 10, 'run-a', 0],
            ['history', 1, 2, 11, 'run-a', 0],
            ['run_id', 2, NaN, 12, 'run-a', 0],
            ['step', 2, 3, 13, 'run-a', 0],
          ],
        );
        const some = await t.store.queryRawPoints({
          workload_uid: 'w1',
          names: ['step', 'run_id'],
          from_time: 12,
          to_time: 13,
          limit: 100,
        });
        assert.deepEqual(
          some.map((p) => p.metric_name),
          ['run_id', 'step'],
        );
        assert.equal((await t.store.queryRawPoints({ workload_uid: 'w1', limit: 2 })).length, 2);
        assert.deepEqual(await t.store.queryStepTimes({ workload_uid: 'w1', limit: 100 }), [
          { step: 1, wall_time: 10 },
          { step: 2, wall_time: 12 },
        ]);
      }));
  });
