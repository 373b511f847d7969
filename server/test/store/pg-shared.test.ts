// Two PgStores on one database, as two replicas would have: concurrent writers of the same
// series keep rollups and aggregates exact, concurrent detection merges keep every source,
// retention runs on one of them at a time, and a pool of one connection is enough.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DetectionSourceRecord, openStore, type Store, type WorkloadDetectionRecord } from '../../src/store/index.js';
import type { PgStore } from '../../src/store/pg/pg-store.js';
import { createDatabase, type TestDatabase } from '../support/pg.js';
import { batch, pts } from './helpers.js';
import { assertPgDerivedDataConsistent } from './invariants-pg.js';

let db: TestDatabase;
let a: Store;
let b: Store;
before(async () => {
  db = await createDatabase();
  [a, b] = await Promise.all([
    openStore(db.url, { retentionSlicePoints: 500 }),
    openStore(db.url, { retentionSlicePoints: 500 }),
  ]);
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await db?.drop();
});

test('two stores writing overlapping steps of the same series: one copy per step, rollups exact', async () => {
  const writes = [];
  for (let w = 0; w < 30; w++) {
    const store = w % 2 === 0 ? a : b;
    // Writer w covers steps [w*100, w*100+300), so every step is written by up to three writers.
    writes.push(store.writeMetrics(batch({ workload_uid: 'shared', points: pts('loss', w * 100, w * 100 + 300, (s) => s) })));
  }
  await Promise.all(writes);
  const [s] = await a.querySeries({ workload_uid: 'shared', name: 'loss', max_points: 100_000 });
  assert.equal(s?.points.length, 29 * 100 + 300);
  assert.equal((await b.getWorkload('shared'))?.points, 3200);
  await assertPgDerivedDataConsistent(db.url);
});

test('appends of known series take one statement; what a cache cannot vouch for falls back to a transaction', async () => {
  const pa = a as PgStore;
  const before = { ...pa.commits };
  await a.writeMetrics(batch({ workload_uid: 'paths', points: pts('loss', 0, 100, (s) => s) }));
  await a.writeMetrics(batch({ workload_uid: 'paths', points: pts('loss', 100, 200, (s) => s) }));
  assert.deepEqual(
    [pa.commits.transaction - before.transaction, pa.commits.append - before.append],
    [1, 1],
    'new series, then a plain append',
  );
  // The other replica writes further; this one's tail cache still says 199, so its overwrite
  // of 250-259 looks like an append, the database says otherwise, and the transaction merges.
  await b.writeMetrics(batch({ workload_uid: 'paths', points: pts('loss', 200, 300, (s) => s) }));
  await a.writeMetrics(batch({ workload_uid: 'paths', points: pts('loss', 250, 260, (s) => -s) }));
  // An overwrite it can tell from its own cache goes to the transaction directly.
  await a.writeMetrics(batch({ workload_uid: 'paths', points: pts('loss', 10, 12, () => NaN) }));
  assert.deepEqual([pa.commits.transaction - before.transaction, pa.commits.append - before.append], [3, 1]);
  const [s] = await b.querySeries({ workload_uid: 'paths', name: 'loss', max_points: 1000 });
  assert.equal(s?.points.length, 300);
  assert.deepEqual(
    s?.points.slice(9, 13).map((p) => p[1]),
    [9, NaN, NaN, 12],
  );
  assert.deepEqual(
    s?.points.slice(249, 251).map((p) => p[1]),
    [249, -250],
  );
  await assertPgDerivedDataConsistent(db.url);

  // Retention on the other replica removes the workload; the cached workload id is gone, the
  // one statement finds that under its lock, and the transaction writes it anew.
  await a.writeMetrics(batch({ workload_uid: 'gone', received_at: 1000, points: pts('x', 0, 10, (v) => v, 1000) }));
  await a.writeMetrics(batch({ workload_uid: 'gone', received_at: 1000, points: pts('x', 10, 20, (v) => v, 1000) }));
  assert.equal((await b.deleteOlderThan(2000)).workloads >= 1, true);
  const t0 = pa.commits.transaction;
  await a.writeMetrics(batch({ workload_uid: 'gone', received_at: 3000, points: pts('x', 20, 30, (v) => v, 3000) }));
  assert.equal(pa.commits.transaction - t0, 1);
  assert.equal((await b.getWorkload('gone'))?.points, 10);
  await assertPgDerivedDataConsistent(db.url);
});

test('detection merges of one workload from two stores at once never lose a source', async () => {
  const merge =
    (uid: string) =>
    (sources: DetectionSourceRecord[]): WorkloadDetectionRecord => ({
      workload_uid: uid,
      framework: 'primus',
      wrapper_framework: null,
      base_framework: null,
      confidence: 0.5,
      status: 'suspected',
      merged: { sources: sources.map((x) => x.source_key) },
      updated_at: 1,
    });
  const rec = (uid: string, key: string): DetectionSourceRecord => ({
    workload_uid: uid,
    source: 'wandb',
    source_key: key,
    result: { framework: 'primus' },
    evidence: {},
    hints: {},
    reported_at: 1,
  });
  const uids = Array.from({ length: 10 }, (_, i) => `merge-${i}`);
  await Promise.all(
    uids.flatMap((uid) => [
      a.recordDetectionSource(rec(uid, 'pod-0'), merge(uid)),
      b.recordDetectionSource(rec(uid, 'pod-1'), merge(uid)),
    ]),
  );
  for (const uid of uids) {
    const saved = await a.getWorkloadDetection(uid);
    assert.deepEqual(saved?.merged, { sources: ['pod-0', 'pod-1'] }, uid);
  }
});

test('retention started on both stores at once runs on one of them; the result is the same', async () => {
  for (let w = 0; w < 4; w++) {
    await a.writeMetrics(batch({ workload_uid: `stale-${w}`, received_at: 1000, points: pts('x', 0, 3000, (s) => s, 1000) }));
  }
  await a.writeMetrics(batch({ workload_uid: 'live', received_at: 1e10, points: pts('x', 0, 2000, (s) => s, 1000) }));
  const results = await Promise.all([a.deleteOlderThan(5000), b.deleteOlderThan(5000)]);
  assert.equal(results.filter((r) => r.points > 0).length, 1, JSON.stringify(results));
  const total = results.reduce((t, r) => ({ points: t.points + r.points, workloads: t.workloads + r.workloads }), {
    points: 0,
    workloads: 0,
  });
  assert.ok(total.workloads >= 4, JSON.stringify(total));
  assert.equal((await a.getWorkload('live'))?.points, 0);
  assert.equal((await a.listWorkloads({ q: 'stale', limit: 10, offset: 0 })).total, 0);
  await assertPgDerivedDataConsistent(db.url);
});

test('a pool of one connection is enough for migrations, writes, detection and retention', async () => {
  const one = await createDatabase();
  const s = await openStore(one.url, { pgPoolMax: 1, pgConnectTimeoutMs: 2_000 });
  try {
    await s.writeMetrics(batch({ received_at: 100, points: pts('loss', 0, 10, (x) => x, 10) }));
    await s.recordDetectionSource(
      { workload_uid: 'w1', source: 'user', source_key: 'manual', result: {}, evidence: null, hints: null, reported_at: 10 },
      () => ({
        workload_uid: 'w1',
        framework: 'jax',
        wrapper_framework: null,
        base_framework: null,
        confidence: 1,
        status: 'verified',
        merged: {},
        updated_at: 10,
      }),
    );
    assert.deepEqual(await s.deleteOlderThan(15), { points: 5, workloads: 0 });
    assert.equal((await s.getWorkload('w1'))?.points, 5);
  } finally {
    await s.close();
    await one.drop();
  }
});
