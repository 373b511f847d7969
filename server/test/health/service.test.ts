// HealthService on a real store (SQLite file and PostgreSQL, both), on a virtual clock: what
// ingest hands over is evaluated and stored; the sweep records stalls and losses once; two
// services on one database (replicas) never overwrite each other; a restarted service goes on
// from the stored state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { workloadHealthAnswer } from '../../src/health/read.js';
import { HealthService, type StatusChange } from '../../src/health/service.js';
import { defaultThresholds } from '../../src/health/thresholds.js';
import { openStore } from '../../src/store/index.js';
import type { MetricBatch, PointInput, Store } from '../../src/store/types.js';
import { BACKENDS, tempStore } from '../store/helpers.js';

const T0 = 1_800_000_000;
const t = { ...defaultThresholds(), stallFloorSeconds: 120, lostSeconds: 600 };

class Clock {
  constructor(public now = T0) {}
  read = (): number => this.now;
}

function rows(from: number, to: number, loss: (s: number) => number, wall0 = T0, rank = 0): MetricBatch {
  const points: PointInput[] = [];
  for (let s = from; s < to; s++) {
    points.push(
      { name: 'train/loss', step: s, value: loss(s), wall_time: wall0 + s },
      { name: 'train/learning_rate', step: s, value: 1e-4, wall_time: wall0 + s },
    );
  }
  return {
    workload_uid: 'job',
    run_id: 'run-1',
    rank,
    identity: { pod_name: 'pod-0', namespace: 'team-a' },
    points,
    received_at: T0,
  };
}

/** What ingest does: commit, then hand over. */
async function ingest(store: Store, health: HealthService, b: MetricBatch): Promise<void> {
  await store.writeMetrics(b);
  health.observeBatch(b);
}

for (const backend of BACKENDS)
  describe(backend, () => {
    test('NaN at a step: stored as diverged with that step; then stalled and lost at their deadlines, each recorded once by the sweep', async () => {
      const db = await tempStore(backend);
      const clock = new Clock();
      const changes: StatusChange[] = [];
      const health = new HealthService({ store: db.store, thresholds: t, clock: clock.read, onChange: (c) => changes.push(c) });
      try {
        for (let s = 0; s < 60; s += 10) {
          clock.now = T0 + s + 10;
          await ingest(
            db.store,
            health,
            rows(s, s + 10, (x) => 3 - x * 0.01),
          );
        }
        await health.flush();
        let answer = await workloadHealthAnswer(db.store, 'job', clock.now);
        assert.equal(answer?.status, 'healthy');
        assert.equal(answer?.runs[0]?.progress.last_step, 59);
        clock.now = T0 + 71;
        await ingest(
          db.store,
          health,
          rows(60, 70, (x) => (x >= 64 ? Number.NaN : 2.5)),
        );
        await health.flush();
        answer = await workloadHealthAnswer(db.store, 'job', clock.now);
        assert.equal(answer?.status, 'diverged');
        assert.deepEqual(
          answer?.runs[0]?.events.map((e) => [e.kind, e.metric, e.step, e.value]),
          [['non_finite', 'train/loss', 64, 'NaN']],
        );
        assert.deepEqual(
          changes.map((c) => [c.previous, c.status, c.event?.step]),
          [['healthy', 'diverged', 64]],
          'a new healthy run is not news',
        );
        assert.equal(changes[0]?.namespace, 'team-a');

        // The job hangs. Nothing is due until the stall threshold (floor 120 s) passed.
        clock.now = T0 + 71 + 119;
        assert.equal(await health.sweep(), 0);
        assert.equal((await workloadHealthAnswer(db.store, 'job', clock.now))?.status, 'diverged');
        clock.now = T0 + 71 + 120;
        assert.equal(
          (await workloadHealthAnswer(db.store, 'job', clock.now))?.status,
          'stalled',
          'read time already says stalled',
        );
        assert.equal(await health.sweep(), 1);
        assert.equal(await health.sweep(), 0, 'recorded once');
        clock.now = T0 + 71 + 600;
        assert.equal(await health.sweep(), 1);
        answer = await workloadHealthAnswer(db.store, 'job', clock.now);
        assert.equal(answer?.status, 'lost');
        assert.deepEqual(
          answer?.runs[0]?.events.map((e) => [e.kind, e.step]),
          [
            ['non_finite', 64],
            ['stall', 69],
            ['lost', 69],
          ],
        );
        assert.deepEqual(
          changes.slice(1).map((c) => [c.previous, c.status]),
          [
            ['diverged', 'stalled'],
            ['stalled', 'lost'],
          ],
        );
        assert.equal(answer?.runs[0]?.since, T0 + 71 + 600);
      } finally {
        await health.close();
        await db.cleanup();
      }
    });

    test('two replicas evaluating one run in turns: nothing lost or doubled, the same verdict as one', async () => {
      const db = await tempStore(backend);
      const other = await openStore(db.url);
      const clock = new Clock();
      const conflicts = { n: 0 };
      const counters = {
        conflict: () => {
          conflicts.n += 1;
        },
        dropped: () => undefined,
        flushed: () => undefined,
      };
      const a = new HealthService({ store: db.store, thresholds: t, clock: clock.read, counters });
      const b = new HealthService({ store: other, thresholds: t, clock: clock.read, counters });
      try {
        // Both replicas have seen the run once, so both hold it in their cache.
        for (let s = 0; s < 200; s += 10) {
          clock.now = T0 + s + 10;
          const replica = (s / 10) % 2 === 0 ? a : b;
          await ingest(
            (s / 10) % 2 === 0 ? db.store : other,
            replica,
            rows(s, s + 10, (x) => (x === 150 ? 20 : 2 + 0.01 * Math.sin(x))),
          );
          await replica.flush();
        }
        assert.ok(conflicts.n > 0, 'stale caches were caught by the version check');
        const answer = await workloadHealthAnswer(db.store, 'job', clock.now);
        const run = answer?.runs[0];
        assert.equal(run?.progress.last_step, 199);
        assert.deepEqual(
          run?.events.map((e) => [e.kind, e.step]),
          [
            ['spike', 150],
            ['recovered', 160],
          ],
        );
        assert.equal(run?.status, 'healthy');
        // Both replicas sweep at once: the stall is recorded by exactly one.
        clock.now += 1_000;
        const swept = await Promise.all([a.sweep(), b.sweep()]);
        assert.equal(swept[0] + swept[1], 1, `one replica wins: ${swept}`);
      } finally {
        await a.close();
        await b.close();
        await other.close();
        await db.cleanup();
      }
    });

    test('a restarted service continues from the stored state: the spike window survives the restart', async () => {
      const db = await tempStore(backend);
      const clock = new Clock();
      let health = new HealthService({ store: db.store, thresholds: t, clock: clock.read });
      try {
        clock.now = T0 + 100;
        await ingest(
          db.store,
          health,
          rows(0, 100, (x) => 2 + 0.01 * Math.sin(x)),
        );
        await health.close();
        health = new HealthService({ store: db.store, thresholds: t, clock: clock.read });
        clock.now = T0 + 101;
        await ingest(
          db.store,
          health,
          rows(100, 101, () => 11),
        );
        await health.flush();
        const run = (await workloadHealthAnswer(db.store, 'job', clock.now))?.runs[0];
        assert.deepEqual(
          run?.events.map((e) => [e.kind, e.step]),
          [['spike', 100]],
        );
      } finally {
        await health.close();
        await db.cleanup();
      }
    });
  });

test('a store that fails keeps observations for the next flush; observing never throws', async () => {
  const db = await tempStore('sqlite');
  const clock = new Clock(T0 + 20);
  let failing = true;
  const flaky = new Proxy(db.store, {
    get(target, prop, receiver) {
      if (prop === 'saveRunHealth' && failing)
        return async () => {
          throw new Error('database restarting');
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const health = new HealthService({ store: flaky, thresholds: t, clock: clock.read });
  try {
    await ingest(
      db.store,
      health,
      rows(0, 20, (x) => (x === 5 ? Number.NaN : 1)),
    );
    await assert.rejects(health.flush(), /database restarting/);
    health.observeBatch({ ...rows(20, 21, () => 1), points: [{ name: 'loss', step: Number.NaN, value: 1, wall_time: 0 }] });
    failing = false;
    await health.flush();
    const run = (await workloadHealthAnswer(db.store, 'job', clock.now))?.runs[0];
    assert.deepEqual(
      run?.events.map((e) => [e.kind, e.step]),
      [
        ['non_finite', 5],
        ['recovered', 6],
      ],
    );
  } finally {
    await health.close();
    await db.cleanup();
  }
});
