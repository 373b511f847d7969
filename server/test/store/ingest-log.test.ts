// The SQLite store's staged ingest: batches are acknowledged once they are rows of the ingest
// log, and written into the series tables later, many at a time. Checked from a second,
// read-only connection, so what is on disk is seen, not what the store says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { batchShape, encodeBatch, mergeForApply } from '../../src/store/sqlite/ingest-log.js';
import { APPLY_AFTER_MS, APPLY_POINTS } from '../../src/store/sqlite/log-applier.js';
import type { PointInput } from '../../src/store/types.js';
import { batch, pts, withStore } from './helpers.js';

/** The original exporter's shape: every metric at a few steps (few points per series). */
function wide(from: number, steps: number, metrics = 20, f = (s: number, m: number) => s + m): PointInput[] {
  const out: PointInput[] = [];
  for (let s = from; s < from + steps; s++) {
    for (let m = 0; m < metrics; m++) out.push({ name: `m${m}`, step: s, value: f(s, m), wall_time: 1_700_000_000 + s });
  }
  return out;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lens-ingest-log-'));
  dirs.push(dir);
  return join(dir, 'lens.db');
}

function count(path: string, sql: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('staged ingest (SQLite)', () => {
  it('acknowledges once a batch is in the log, and applies it before any read', () =>
    withStore('sqlite', async ({ store, url: path }) => {
      await Promise.all([
        store.writeMetrics(batch({ points: wide(0, 5) })),
        store.writeMetrics(batch({ run_id: 'run-b', points: wide(0, 3) })),
      ]);
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log'), 2);
      assert.equal(count(path, 'SELECT count(*) FROM points'), 0, 'not yet in the series tables');
      const series = await store.querySeries({ workload_uid: 'w1', name: 'm7', max_points: 1000 });
      assert.deepEqual(series.map((s) => s.points.length).sort(), [3, 5]);
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log'), 0);
      assert.equal(count(path, 'SELECT count(*) FROM points'), 160);
    }));

  it('applies on its own: at once past one slice, after a short wait below it', () =>
    withStore('sqlite', async ({ store, url: path }) => {
      await store.writeMetrics(batch({ points: wide(0, 1) }));
      await new Promise((res) => setTimeout(res, APPLY_AFTER_MS + 300));
      assert.equal(count(path, 'SELECT count(*) FROM points'), 20, 'applied after the wait, with no read');
      const wideRuns = Array.from({ length: APPLY_POINTS / 100 + 1 }, (_, r) =>
        store.writeMetrics(batch({ run_id: `r${r}`, points: wide(0, 5) })),
      );
      await Promise.all(wideRuns);
      await new Promise((res) => setImmediate(res));
      await new Promise((res) => setImmediate(res));
      // Whole slices go at once; less than one stays staged (until the wait, or a read).
      const applied = count(path, 'SELECT count(*) FROM points') - 20;
      assert.ok(applied >= APPLY_POINTS && applied % 100 === 0, `${applied} points applied`);
      assert.ok(count(path, 'SELECT count(*) FROM ingest_log') * 100 < APPLY_POINTS);
      assert.equal(applied + count(path, 'SELECT count(*) FROM ingest_log') * 100, APPLY_POINTS + 100);
    }));

  it('replays what a previous process logged; keeps a row it cannot read or apply, marked failed', async () => {
    const path = tempPath();
    await (await openStore(path)).close(); // the schema
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO ingest_log (meta, points) VALUES (?, ?)');
    const good = encodeBatch(batch({ workload_uid: 'replayed', points: pts('loss', 0, 20, (s) => (s === 7 ? NaN : s)) }));
    const noWorkload = encodeBatch(batch({ points: pts('loss', 0, 3, (s) => s) }));
    insert.run('{"broken', Buffer.alloc(3));
    insert.run(noWorkload.meta.replace('"workload_uid":"w1",', ''), noWorkload.blob);
    insert.run(good.meta, good.blob);
    db.close();

    const reported: string[] = [];
    const store = await openStore(path, { onBackgroundError: (err) => reported.push(String(err)) });
    try {
      const [s] = await store.querySeries({ workload_uid: 'replayed', name: 'loss', max_points: 100 });
      assert.equal(s?.points.length, 20);
      assert.ok(Number.isNaN(s?.points[7]?.[1]), 'NaN survives the log');
      assert.equal(reported.length, 2, reported.join('\n'));
      assert.match(reported[0] ?? '', /unreadable/);
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log WHERE failed IS NOT NULL'), 2);
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log WHERE failed IS NULL'), 0);
      assert.equal(await store.getWorkload('w1'), null, 'the unappliable batch wrote nothing');
    } finally {
      await store.close();
    }
  });

  it('writes a commit with many points per series straight into the tables, after what is staged', () =>
    withStore('sqlite', async ({ store, url: path }) => {
      await store.writeMetrics(batch({ points: wide(0, 2, 20, () => 1) }));
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log'), 1);
      // 100 steps of one metric: 100 points per series, and step 1 of m3 written again.
      await store.writeMetrics(batch({ points: pts('m3', 1, 101, () => 2) }));
      assert.equal(count(path, 'SELECT count(*) FROM ingest_log'), 0, 'the staged batch went first');
      assert.equal(count(path, 'SELECT count(*) FROM points'), 40 + 99);
      const [m3] = await store.querySeries({ workload_uid: 'w1', name: 'm3', max_points: 1000 });
      assert.deepEqual(
        m3?.points.slice(0, 3).map((p) => p[1]),
        [1, 2, 2],
        'the later write wins',
      );
    }));

  it('merges the staged batches of one run for the apply, keeping what one-by-one would give', async () => {
    const a1 = batch({ received_at: 200, points: wide(0, 2, 2, () => 1) });
    const other = batch({ run_id: 'run-b', received_at: 150, points: wide(0, 1, 2) });
    const a2 = batch({ received_at: 100, points: [{ name: 'm0', step: 1, value: 7, wall_time: 5 }, ...wide(2, 1, 2)] });
    const finish = batch({ received_at: 300, points: [], run_state: { state: 'finished', exit_code: 0 } });
    const a3 = batch({ received_at: 400, points: wide(3, 1, 2) });
    const moved = batch({ received_at: 500, identity: { pod_name: 'pod-1', host: 'node-b' }, points: wide(4, 1, 2) });
    const out = mergeForApply([a1, other, a2, finish, a3, moved]);
    assert.equal(out.length, 5, 'a1+a2, other, finish, a3, moved');
    assert.deepEqual(
      out.map((b) => [b.run_id, b.points.length]),
      [
        ['run-a', 7],
        ['run-b', 2],
        ['run-a', 0],
        ['run-a', 2],
        ['run-a', 2],
      ],
    );
    assert.equal(out[0]?.first_received_at, 100);
    assert.equal(out[0]?.received_at, 200);
    assert.equal(out[2], finish, 'a state change is applied alone, in its place');
    assert.equal(out[3]?.first_received_at, 400, 'after a state change the run starts a new group');
    assert.equal(out[4]?.identity.pod_name, 'pod-1', 'a run whose identity changed starts a new group');

    await withStore('sqlite', async ({ store }) => {
      await Promise.all([a1, other, a2].map((b) => store.writeMetrics(b)));
      const w = await store.getWorkload('w1');
      assert.equal(w?.first_seen, 100, 'first seen is the earliest receive time of the merged batches');
      assert.equal(w?.last_seen, 200);
      const [m0] = await store.querySeries({ workload_uid: 'w1', name: 'm0', run_id: 'run-a', max_points: 100 });
      assert.deepEqual(
        m0?.points.map((p) => [p[0], p[1]]),
        [
          [0, 1],
          [1, 7],
          [2, 2],
        ],
        'the later write of step 1 wins',
      );
    });
  });

  it('reports distinct (name, step) pairs as written, whatever the order', () => {
    const p = (name: string, step: number) => ({ name, step, value: 1, wall_time: 1 });
    assert.deepEqual(batchShape([p('a', 1), p('b', 1), p('a', 2)]), { written: 3, names: 2 });
    assert.deepEqual(batchShape([p('a', 2), p('a', 1), p('a', 2), p('b', 2)]), { written: 3, names: 2 });
    assert.deepEqual(batchShape([]), { written: 0, names: 0 });
  });
});
