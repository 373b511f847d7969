// Re-delivery never duplicates and the last write wins; concurrent writers to the same
// series (overlapping promises, one group commit) leave consistent data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PointInput } from '../../src/store/index.js';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

for (const backend of BACKENDS)
  describe(backend, () => {
    test('the same batch delivered twice stores the same rows once', () =>
      withStore(backend, async (t) => {
        const b = batch({ points: [...pts('loss', 0, 600, (s) => 1 / (s + 1)), ...pts('lr', 0, 600, () => 3e-4)] });
        await t.store.writeMetrics(b);
        const first = {
          w: await t.store.getWorkload('w1'),
          m: await t.store.listMetricNames('w1'),
          s: await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 100000 }),
        };
        const again = await t.store.writeMetrics(b);
        assert.equal(again.written, 1200);
        const second = {
          w: await t.store.getWorkload('w1'),
          m: await t.store.listMetricNames('w1'),
          s: await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 100000 }),
        };
        assert.deepEqual(second, first);
        assert.equal(second.w?.points, 1200);
        assert.equal(second.s[0]?.points.length, 600);
        await t.assertConsistent();
      }));

    test('a re-delivered point with a new value overwrites it and the aggregates follow', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(batch({ points: pts('loss', 0, 1000, (s) => (s === 500 ? 99 : s / 1000)) }));
        let [m] = await t.store.listMetricNames('w1');
        assert.equal(m?.max, 99);
        // The spike is corrected, and the last point changes to NaN.
        await t.store.writeMetrics(
          batch({
            points: [
              { name: 'loss', step: 500, value: 0.5, wall_time: 1_700_000_500 },
              { name: 'loss', step: 999, value: NaN, wall_time: 1_700_001_999 },
            ],
          }),
        );
        [m] = await t.store.listMetricNames('w1');
        assert.equal(m?.count, 1000);
        assert.equal(m?.max, 0.998);
        assert.ok(Number.isNaN(m?.last));
        assert.equal(m?.last_time, 1_700_001_999);
        const [s] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', from_step: 500, to_step: 500, max_points: 10 });
        assert.deepEqual(s?.points, [[500, 0.5, 1_700_000_500]]);
        await t.assertConsistent();
      }));

    test('within one batch the later point of a duplicated step wins', () =>
      withStore(backend, async (t) => {
        await t.store.writeMetrics(
          batch({
            points: [
              { name: 'x', step: 1, value: 1, wall_time: 1 },
              { name: 'x', step: 1, value: 2, wall_time: 2 },
            ],
          }),
        );
        const [s] = await t.store.querySeries({ workload_uid: 'w1', name: 'x', max_points: 10 });
        assert.deepEqual(s?.points, [[1, 2, 2]]);
      }));

    test('many overlapping writers to the same series: no duplicates, submission order wins, aggregates exact', () =>
      withStore(backend, async (t) => {
        const writers = 40;
        const promises: Array<Promise<{ written: number }>> = [];
        // Writer w writes steps [w*50, w*50+400): every step is written by up to 8 writers,
        // out of order (odd writers send their points reversed), in several event-loop turns.
        for (let w = 0; w < writers; w++) {
          const points: PointInput[] = pts('loss', w * 50, w * 50 + 400, (s) => s + w / 100);
          if (w % 2 === 1) points.reverse();
          promises.push(t.store.writeMetrics(batch({ points })));
          if (w % 10 === 9) await new Promise((r) => setImmediate(r));
        }
        const results = await Promise.all(promises);
        assert.ok(results.every((r) => r.written === 400));
        const [s] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 100000 });
        const lastStep = (writers - 1) * 50 + 399;
        assert.equal(s?.points.length, lastStep + 1);
        for (const [step, value] of s!.points) {
          const lastWriter = Math.min(writers - 1, Math.floor(step / 50)); // highest w with w*50 <= step
          assert.equal(value, step + lastWriter / 100, `step ${step}`);
        }
        assert.equal((await t.store.getWorkload('w1'))?.points, lastStep + 1);
        await t.assertConsistent();
      }));

    test('random order, gaps, overwrites and backfill keep chunk rollups exact', () =>
      withStore(backend, async (t) => {
        let seed = 12345;
        const rnd = (): number => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return seed / 2 ** 31;
        };
        const special = [NaN, Infinity, -Infinity];
        for (let round = 0; round < 30; round++) {
          const points: PointInput[] = [];
          const base = Math.floor(rnd() * 3000);
          for (let i = 0; i < 150; i++) {
            const step = base + Math.floor(rnd() * 400) - 200;
            const value = rnd() < 0.05 ? special[Math.floor(rnd() * 3)]! : rnd() * 10 - 5;
            points.push({ name: rnd() < 0.5 ? 'a' : 'b', step, value, wall_time: 1_700_000_000 + round });
          }
          if (round % 10 === 9) {
            // A big block before everything written so far (a replayed spool, say).
            for (let i = 0; i < 700; i++) points.push({ name: 'a', step: -1000 * round - i, value: i, wall_time: 1 });
          }
          await t.store.writeMetrics(batch({ rank: round % 2, points }));
        }
        await t.assertConsistent();
      }));

    test('a large backfill between existing steps splits chunks, so downsampling keeps its resolution', () =>
      withStore(backend, async (t) => {
        const n = 60_000;
        await t.store.writeMetrics(
          batch({
            points: [
              { name: 'loss', step: 0, value: 0, wall_time: 1 },
              { name: 'loss', step: n, value: 0, wall_time: 1 },
            ],
          }),
        );
        for (let from = 1; from < n; from += 3000) {
          await t.store.writeMetrics(batch({ points: pts('loss', from, Math.min(n, from + 3000), (s) => Math.sin(s / 300)) }));
        }
        const [s] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 1000 });
        assert.equal(s?.total_points, n + 1);
        assert.ok(s!.points.length >= 400, `resolution kept (one unsplit chunk would give < 10): ${s!.points.length} points`);
        await t.assertConsistent();
      }));
  });
