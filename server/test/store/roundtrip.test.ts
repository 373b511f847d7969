// Points survive exactly: NaN and ±Infinity round-trip (SQLite alone would turn NaN into
// NULL), and a close/reopen keeps every acknowledged write.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, batch, withStore } from './helpers.js';

const SPECIAL = [
  { name: 'loss', step: 1, value: 0.5, wall_time: 1_700_000_001.25 },
  { name: 'loss', step: 2, value: NaN, wall_time: 1_700_000_002.5 },
  { name: 'loss', step: 3, value: Infinity, wall_time: 1_700_000_003 },
  { name: 'loss', step: 4, value: -Infinity, wall_time: 1_700_000_004 },
  { name: 'loss', step: 5, value: -0.125, wall_time: 1_700_000_005 },
  { name: 'grad/norm', step: 1, value: 1e308, wall_time: 1_700_000_001 },
];
for (const backend of BACKENDS)
  describe(backend, () => {
    test('NaN, +Infinity and -Infinity are stored and returned as such, never as null or 0', () =>
      withStore(backend, async (t) => {
        const r = await t.store.writeMetrics(batch({ points: SPECIAL }));
        assert.equal(r.written, SPECIAL.length);
        const [series] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 1000 });
        assert.deepEqual(series?.points, [
          [1, 0.5, 1_700_000_001.25],
          [2, NaN, 1_700_000_002.5],
          [3, Infinity, 1_700_000_003],
          [4, -Infinity, 1_700_000_004],
          [5, -0.125, 1_700_000_005],
        ]);
        const raw = await t.store.queryRawPoints({ workload_uid: 'w1', names: ['loss'], limit: 100 });
        assert.deepEqual(
          raw.map((p) => p.value),
          [0.5, NaN, Infinity, -Infinity, -0.125],
        );
        const metrics = await t.store.listMetricNames('w1');
        const loss = metrics.find((m) => m.name === 'loss');
        // min/max are over finite values only; the last point is finite here.
        assert.deepEqual(loss, {
          name: 'loss',
          count: 5,
          last: -0.125,
          min: -0.125,
          max: 0.5,
          last_step: 5,
          last_time: 1_700_000_005,
        });
      }));

    test('a non-finite last value is reported as the metric last and as last_loss', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(batch({ points: [{ name: 'train/loss', step: 9, value: NaN, wall_time: 1_700_000_009 }] }));
        const [m] = await t.store.listMetricNames('w1');
        assert.ok(Number.isNaN(m?.last));
        assert.equal(m?.min, null);
        const { workloads } = await t.store.listWorkloads({ limit: 10, offset: 0 });
        assert.ok(Number.isNaN(workloads[0]?.last_loss));
      }));

    test('a restart keeps everything that was acknowledged', () =>
      withStore(backend, async (t) => {
        const writes = [];
        for (let i = 0; i < 20; i++) {
          writes.push(
            t.store.writeMetrics(
              batch({
                run_id: `run-${i % 3}`,
                rank: i % 2,
                points: [{ name: 'loss', step: i, value: i === 7 ? NaN : i / 10, wall_time: 1_700_000_000 + i }],
              }),
            ),
          );
        }
        await Promise.all(writes);
        await t.store.upsertRun({
          workload_uid: 'w1',
          run_id: 'run-0',
          rank: 0,
          identity: {},
          run: { project: 'p', config: { lr: 0.1 } },
          received_at: 1_700_000_100,
        });
        const before = {
          workloads: await t.store.listWorkloads({ limit: 10, offset: 0 }),
          runs: await t.store.listRuns('w1'),
          metrics: await t.store.listMetricNames('w1'),
          series: await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 1000 }),
        };
        const store = await t.reopen();
        const after = {
          workloads: await store.listWorkloads({ limit: 10, offset: 0 }),
          runs: await store.listRuns('w1'),
          metrics: await store.listMetricNames('w1'),
          series: await store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 1000 }),
        };
        assert.deepEqual(after, before);
        assert.equal(after.workloads.workloads[0]?.points, 20);
        assert.equal(
          after.series.reduce((n, s) => n + s.points.length, 0),
          20,
        );
        assert.deepEqual(after.runs.find((r) => r.run_id === 'run-0' && r.rank === 0)?.config, { lr: 0.1 });
      }));

    test('close commits writes that were still queued', () =>
      withStore(backend, async (t) => {
        const pending = t.store.writeMetrics(batch({ points: [{ name: 'x', step: 1, value: 42, wall_time: 1 }] }));
        const store = await t.reopen(); // close() runs before the scheduled flush would
        assert.deepEqual(await pending, { written: 1 });
        const [s] = await store.querySeries({ workload_uid: 'w1', name: 'x', max_points: 10 });
        assert.deepEqual(s?.points, [[1, 42, 1]]);
      }));
  });
