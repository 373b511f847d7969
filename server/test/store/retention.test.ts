// Retention drops whole workloads not seen since the cutoff, and old points of live
// workloads; aggregates and rollups stay exact afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

for (const backend of BACKENDS)
  describe(backend, () => {
    test('deleteOlderThan removes stale workloads and old points, keeps the rest exact', () =>
      withStore(backend, async (t) => {
        const s = t.store;
        // "old": last seen at 1000, points at wall 1000+step.
        await s.writeMetrics(batch({ workload_uid: 'old', received_at: 1000, points: pts('loss', 0, 300, (x) => x, 1000) }));
        await s.saveWorkloadDetection({
          workload_uid: 'old',
          framework: 'megatron',
          wrapper_framework: null,
          base_framework: 'megatron',
          confidence: 0.8,
          status: 'suspected',
          merged: { framework: 'megatron' },
          updated_at: 1000,
        });
        // "live": seen recently; steps 0..999 at wall 10_000+step, spike at step 100 (old) and 900 (kept).
        const values = (x: number): number => (x === 100 ? 1e6 : x === 900 ? -1e6 : x);
        await s.writeMetrics(batch({ workload_uid: 'live', received_at: 20_000, points: pts('loss', 0, 1000, values, 10_000) }));
        await s.writeMetrics(
          batch({ workload_uid: 'live', run_id: 'r2', received_at: 20_000, points: pts('acc', 0, 50, () => 1, 10_000) }),
        );

        const cutoff = 10_000 + 600.5; // drops live steps 0..600 and all of run r2's points
        const r = await s.deleteOlderThan(cutoff);
        assert.deepEqual(r, { points: 300 + 601 + 50, workloads: 1 });

        assert.equal(await s.getWorkload('old'), null);
        assert.equal(await s.getWorkloadDetection('old'), null);
        assert.deepEqual(await s.listRuns('old'), []);
        const live = await s.getWorkload('live');
        assert.equal(live?.points, 399);
        assert.equal(live?.last_step, 999);
        const metrics = await s.listMetricNames('live');
        assert.deepEqual(
          metrics.map((m) => [m.name, m.count, m.min, m.max]),
          [['loss', 399, -1e6, 999]],
        );
        const [series] = await s.querySeries({ workload_uid: 'live', name: 'loss', max_points: 10000 });
        assert.equal(series?.points[0]?.[0], 601);
        assert.equal(series?.points.length, 399);
        const runs = await s.listRuns('live');
        assert.deepEqual(
          runs.map((x) => [x.run_id, x.points, x.last_step]),
          [
            ['r2', 0, null],
            ['run-a', 399, 999],
          ],
        );
        await t.assertConsistent();

        // Nothing older remains: a second pass deletes nothing.
        assert.deepEqual(await s.deleteOlderThan(cutoff), { points: 0, workloads: 0 });
        // New writes after retention land correctly (no stale cached ids).
        await s.writeMetrics(batch({ workload_uid: 'old', received_at: 30_000, points: pts('loss', 0, 5, (x) => x, 30_000) }));
        assert.equal((await s.getWorkload('old'))?.points, 5);
        await t.assertConsistent();
      }));

    test('retention works in slices: same result, ingest is served between slices', () =>
      withStore(
        backend,
        async (t) => {
          const s = t.store;
          for (let w = 0; w < 3; w++) {
            await s.writeMetrics(
              batch({
                workload_uid: `stale-${w}`,
                received_at: 1000,
                points: [...pts('a', 0, 2000, (x) => x, 1000), ...pts('b', 0, 1000, (x) => -x, 1000)],
              }),
            );
          }
          await s.writeMetrics(
            batch({ workload_uid: 'live', received_at: 50_000, points: pts('loss', 0, 5000, (x) => x % 7, 10_000) }),
          );

          let retentionDone = false;
          const sweep = s.deleteOlderThan(12_500).then((r) => {
            retentionDone = true;
            return r;
          });
          await new Promise((r) => setImmediate(r)); // the first slices are running
          await s.writeMetrics(
            batch({
              workload_uid: 'live',
              received_at: 50_001,
              points: [{ name: 'loss', step: 9000, value: 1, wall_time: 60_000 }],
            }),
          );
          assert.equal(retentionDone, false, 'a write was acknowledged while retention was still going');

          assert.deepEqual(await sweep, { points: 3 * 3000 + 2500, workloads: 3 });
          const { total, workloads } = await s.listWorkloads({ limit: 10, offset: 0 });
          assert.equal(total, 1);
          assert.equal(workloads[0]?.points, 2501);
          await t.assertConsistent();
        },
        { retentionSlicePoints: 500 },
      ));
  });
