// Downsampling keeps spikes and non-finite values, never returns more than max_points,
// returns only real points, and behaves the same on the exact path (small ranges) and on
// the chunk-rollup path (large ranges).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectSteps } from '../../src/store/downsample.js';
import type { PointInput, Series } from '../../src/store/index.js';
import { BACKENDS, type Backend, batch, pts, tempStore, withStore } from './helpers.js';

test('selectSteps keeps first, min, max and last of every bucket', () => {
  // 8 points, max 4 -> one bucket: first (0), min (5), max (2), last (7).
  const values = [1, 2, 9, 3, 4, -8, 5, 6];
  const steps = selectSteps(
    values.map((value, step) => ({ step, value })),
    4,
  );
  assert.deepEqual(steps, [0, 2, 5, 7]);
});

test('selectSteps keeps every non-finite point when they fit, and at most max_points when not', () => {
  const values = Array.from({ length: 100 }, (_, i) => i);
  values[10] = NaN;
  values[20] = Infinity;
  values[30] = -Infinity;
  const steps = selectSteps(
    values.map((value, step) => ({ step, value })),
    8,
  );
  for (const s of [10, 20, 30]) assert.ok(steps.includes(s), `step ${s} kept`);
  assert.ok(steps.length <= 8);

  const allNaN = Array.from({ length: 1000 }, (_, step) => ({ step, value: NaN }));
  const kept = selectSteps(allNaN, 40);
  assert.ok(kept.length > 0 && kept.length <= 40, `kept ${kept.length}`);
  assert.deepEqual(selectSteps(allNaN, 2).length, 2);
});

async function writeSeries(
  backend: Backend,
  values: (step: number) => number,
  n: number,
): Promise<Awaited<ReturnType<typeof tempStore>>> {
  const t = await tempStore(backend);
  const writes: Array<Promise<unknown>> = [];
  for (let from = 0; from < n; from += 5000) {
    writes.push(t.store.writeMetrics(batch({ points: pts('loss', from, Math.min(n, from + 5000), values) })));
  }
  await Promise.all(writes);
  return t;
}

function checkRealPoints(s: Series, values: (step: number) => number): void {
  let prev = -Infinity;
  for (const [step, value, wall] of s.points) {
    assert.ok(step > prev, 'sorted by step, unique');
    prev = step;
    assert.ok(Object.is(value, values(step)), `value at ${step}`);
    assert.equal(wall, 1_700_000_000 + step);
  }
}
for (const backend of BACKENDS)
  describe(backend, () => {
    for (const n of [6000, 60000]) {
      const path = n > 8192 ? 'chunk-rollup path' : 'exact path';
      test(`${path}: ${n} points to max_points keeps spikes, NaN and ±Inf and the ends`, async () => {
        const spikes = new Map<number, number>([
          [777, 1e9],
          [n - 1234, -1e9],
          [4321, NaN],
          [n - 10, Infinity],
          [2001, -Infinity],
        ]);
        const values = (s: number): number => spikes.get(s) ?? Math.sin(s / 50);
        const t = await writeSeries(backend, values, n);
        try {
          for (const maxPoints of [2, 3, 100, 1000]) {
            const [s] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: maxPoints });
            assert.ok(s !== undefined);
            assert.equal(s.total_points, n);
            assert.equal(s.downsampled, true);
            assert.ok(s.points.length <= maxPoints, `${s.points.length} <= ${maxPoints}`);
            checkRealPoints(s, values);
            if (maxPoints >= 100) {
              const steps = new Set(s.points.map((p) => p[0]));
              for (const step of spikes.keys()) assert.ok(steps.has(step), `max_points ${maxPoints}: spike at ${step} kept`);
              assert.ok(steps.has(0) && steps.has(n - 1), 'first and last point kept');
              assert.ok(s.points.length >= maxPoints / 2, `uses the budget (${s.points.length})`);
            }
          }
          const [all] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 100000 });
          assert.equal(all?.downsampled, false);
          assert.equal(all?.points.length, n);
        } finally {
          await t.cleanup();
        }
      });
    }

    test('step and time ranges cut the series exactly, also through partial chunks', async () => {
      const n = 40000;
      const values = (s: number): number => (s === 20500 ? 1e6 : s % 97);
      const t = await writeSeries(backend, values, n);
      try {
        const [r] = await t.store.querySeries({
          workload_uid: 'w1',
          name: 'loss',
          from_step: 10001,
          to_step: 30003,
          max_points: 500,
        });
        assert.equal(r?.total_points, 20003);
        assert.ok(r!.points.length <= 500);
        assert.equal(r!.points[0]?.[0], 10001);
        assert.equal(r!.points.at(-1)?.[0], 30003);
        assert.ok(
          r!.points.some((p) => p[1] === 1e6),
          'spike inside the range kept',
        );
        checkRealPoints(r!, values);

        // Incremental live fetch: from_step = last seen step + 1.
        const [inc] = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', from_step: n - 3, max_points: 1000 });
        assert.deepEqual(
          inc?.points.map((p) => p[0]),
          [n - 3, n - 2, n - 1],
        );

        // Wall time = 1.7e9 + step, so a time range is a step range here.
        const [tr] = await t.store.querySeries({
          workload_uid: 'w1',
          name: 'loss',
          from_time: 1_700_000_000 + 5000.5,
          to_time: 1_700_000_000 + 25000,
          max_points: 300,
        });
        assert.equal(tr?.total_points, 20000);
        assert.equal(tr!.points[0]?.[0], 5001);
        assert.equal(tr!.points.at(-1)?.[0], 25000);
      } finally {
        await t.cleanup();
      }
    });

    test('one series per (run, rank), filterable by run_id and rank', () =>
      withStore(backend, async (t) => {
        const p = (v: number): PointInput[] => [{ name: 'loss', step: 1, value: v, wall_time: 1 }];
        await Promise.all([
          t.store.writeMetrics(batch({ run_id: 'b', rank: 1, points: p(3) })),
          t.store.writeMetrics(batch({ run_id: 'a', rank: 0, points: p(1) })),
          t.store.writeMetrics(batch({ run_id: 'a', rank: 1, points: p(2) })),
          t.store.writeMetrics(batch({ run_id: 'a', rank: 1, points: [{ name: 'other', step: 1, value: 9, wall_time: 1 }] })),
        ]);
        const all = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', max_points: 10 });
        assert.deepEqual(
          all.map((s) => [s.run_id, s.rank, s.points[0]?.[1]]),
          [
            ['a', 0, 1],
            ['a', 1, 2],
            ['b', 1, 3],
          ],
        );
        const a = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', run_id: 'a', max_points: 10 });
        assert.deepEqual(
          a.map((s) => s.rank),
          [0, 1],
        );
        const r1 = await t.store.querySeries({ workload_uid: 'w1', name: 'loss', rank: 1, max_points: 10 });
        assert.deepEqual(
          r1.map((s) => s.run_id),
          ['a', 'b'],
        );
        assert.deepEqual(await t.store.querySeries({ workload_uid: 'w1', name: 'missing', max_points: 10 }), []);
        assert.deepEqual(await t.store.querySeries({ workload_uid: 'nope', name: 'loss', max_points: 10 }), []);
      }));
  });
