// The group-commit queue: one commit per event-loop turn, bounded memory, failures
// isolated to the item that caused them; and the store's backpressure built on it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroupCommitQueue } from '../../src/store/group-commit.js';
import { StoreSaturatedError } from '../../src/store/index.js';
import { BACKENDS, batch, pts, withStore } from './helpers.js';

const OPTS = { maxQueued: 100, maxPerCommit: 50, retryAfterSeconds: 2 };

test('items submitted in the same turn share one commit; big backlogs are split by maxPerCommit', async () => {
  const commits: number[][] = [];
  const q = new GroupCommitQueue<number, number>((items) => {
    commits.push(items);
    return items.map((i) => i * 2);
  }, OPTS);
  const results = await Promise.all([1, 2, 3].map((i) => q.submit(i, 10)));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(commits, [[1, 2, 3]]);
  commits.length = 0;
  await Promise.all([4, 5, 6, 7].map((i) => q.submit(i, 20)));
  assert.deepEqual(commits, [
    [4, 5],
    [6, 7],
  ]);
});

test('a failing item fails alone; the others of its group still commit', async () => {
  const committed: number[] = [];
  const q = new GroupCommitQueue<number, string>((items) => {
    if (items.includes(13)) throw new Error('bad item 13');
    committed.push(...items);
    return items.map(String);
  }, OPTS);
  const settled = await Promise.allSettled([12, 13, 14].map((i) => q.submit(i, 1)));
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /bad item 13/);
  assert.deepEqual(committed, [12, 14]);
});

test('over maxQueued new work is refused with a retry hint, and accepted again once drained', async () => {
  const q = new GroupCommitQueue<number, number>((items) => items, OPTS);
  const first = q.submit(1, 90);
  assert.equal(q.queued, 90);
  await assert.rejects(q.submit(2, 20), (e: unknown) => e instanceof StoreSaturatedError && e.retryAfterSeconds === 2);
  await first;
  assert.equal(q.queued, 0);
  assert.equal(await q.submit(3, 500), 3, 'an empty queue accepts even an oversized item');
  await q.close();
  await assert.rejects(q.submit(4, 1), /closed/);
});
for (const backend of BACKENDS)
  describe(backend, () => {
    test('store.pressure() reports the backlog and writeMetrics refuses when saturated', () =>
      withStore(
        backend,
        async (t) => {
          const ok = t.store.writeMetrics(batch({ points: pts('loss', 0, 800, (x) => x) }));
          assert.deepEqual(t.store.pressure(), { queued_points: 800, saturated: false });
          const refused = t.store.writeMetrics(batch({ points: pts('loss', 800, 1100, (x) => x) }));
          await assert.rejects(refused, (e: unknown) => e instanceof StoreSaturatedError && e.retryAfterSeconds === 3);
          await ok;
          assert.deepEqual(t.store.pressure(), { queued_points: 0, saturated: false });
          assert.equal((await t.store.getWorkload('w1'))?.points, 800);
        },
        { maxQueuedPoints: 1000, retryAfterSeconds: 3 },
      ));

    test('malformed batches are rejected before they reach a shared transaction', () =>
      withStore(backend, async (t) => {
        const good = t.store.writeMetrics(batch({ points: [{ name: 'a', step: 1, value: 1, wall_time: 1 }] }));
        await assert.rejects(
          t.store.writeMetrics(batch({ points: [{ name: 'a', step: 1.5, value: 1, wall_time: 1 }] })),
          /step must be an integer/,
        );
        await assert.rejects(t.store.writeMetrics(batch({ points: [{ name: '', step: 1, value: 1, wall_time: 1 }] })), /name/);
        await assert.rejects(t.store.writeMetrics(batch({ workload_uid: '', points: [] })), /workload_uid/);
        assert.deepEqual(await good, { written: 1 });
      }));
  });
