// PostgreSQL migrations: versioned, applied once, safe to run again, rolled back whole when
// one fails, and applied exactly once when several processes start on an empty database;
// version 4 (the chunk layout) carries version-1 points over and takes in what a version-1 replica still writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/pg/migrate.js';
import { MIGRATIONS } from '../../src/store/pg/migrations.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { assertEachMigrationOnce, createDatabase, sql } from '../support/pg.js';
import { batch, openInChild } from './helpers.js';
import { assertPgDerivedDataConsistent } from './invariants-pg.js';

const versions = async (url: string): Promise<number[]> =>
  (await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);

test('openStore picks PostgreSQL for postgres:// and postgresql:// URLs, migrated and ready', async () => {
  const db = await createDatabase();
  try {
    for (const url of [db.url, db.url.replace(/^postgres:/, 'postgresql:')]) {
      const s = await openStore(url);
      try {
        assert.ok(s instanceof PgStore);
        assert.equal(await s.ping(), true);
        await s.writeMetrics(batch({ points: [{ name: 'a', step: 0, value: 1, wall_time: 1 }] }));
        assert.equal((await s.getWorkload('w1'))?.points, 1);
      } finally {
        await s.close();
      }
      assert.equal(await s.ping(), false);
    }
    assert.deepEqual(
      await versions(db.url),
      MIGRATIONS.map((m) => m.version),
    );
  } finally {
    await db.drop();
  }
});

test('a new migration is applied once on top; a failing one rolls back and is not recorded', async () => {
  const db = await createDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    assert.deepEqual(
      await applyMigrations(pool),
      MIGRATIONS.map((m) => m.version),
    );
    assert.deepEqual(await applyMigrations(pool), []);
    const extra = [...MIGRATIONS, { version: 999, name: 'test column', sql: 'ALTER TABLE runs ADD COLUMN note text' }];
    assert.deepEqual(await applyMigrations(pool, extra), [999]);
    assert.deepEqual(await applyMigrations(pool, extra), []);
    const bad = [...extra, { version: 1000, name: 'broken', sql: 'CREATE TABLE half (x int); SELECT * FROM no_such_table;' }];
    await assert.rejects(applyMigrations(pool, bad), /no_such_table/);
    assert.deepEqual(await sql(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half'"), []);
    assert.deepEqual(await versions(db.url), [...MIGRATIONS.map((m) => m.version), 999]);
  } finally {
    await pool.end();
    await db.drop();
  }
});

test('four processes opening an empty database at the same moment all succeed and migrate once', async () => {
  const db = await createDatabase();
  try {
    const run = (): Promise<string> => openInChild(db.url, 60_000);
    assert.deepEqual(await Promise.all([run(), run(), run(), run()]), ['ok', 'ok', 'ok', 'ok']);
    await assertEachMigrationOnce(db.url);
  } finally {
    await db.drop();
  }
});

// What a version-1 replica sends for its points (its statement, verbatim): during a rolling
// update it keeps running against a database that version 4 has migrated.
const V1_POINTS_UPSERT = `WITH up AS (
  INSERT INTO points (series_id, step, value, wall_time)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[])
  ON CONFLICT (series_id, step) DO UPDATE SET value = excluded.value, wall_time = excluded.wall_time
    WHERE (points.value, points.wall_time) IS DISTINCT FROM (excluded.value, excluded.wall_time)
  RETURNING series_id, step, (xmax = 0) AS inserted)
SELECT series_id, step >> 8 AS chunk, count(*) FILTER (WHERE inserted) AS ins,
  count(*) FILTER (WHERE NOT inserted) AS upd, max(step) AS max_step
FROM up GROUP BY 1, 2`;

test('version 4 (the chunk layout) carries version-1 points over; a version-1 replica still writing lands in the new layout', async () => {
  const db = await createDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    assert.deepEqual(
      await applyMigrations(
        pool,
        MIGRATIONS.filter((m) => m.version === 1),
      ),
      [1],
    );
    // A version-1 database: two series, non-finite values included, summaries as version 1 kept them.
    const special = new Map<number, number>([
      [7, NaN],
      [300, Infinity],
      [301, -Infinity],
      [700, 1e9],
    ]);
    const value = (s: number): number => special.get(s) ?? Math.sin(s / 30);
    await pool.query(`INSERT INTO workloads (uid, first_seen, last_seen) VALUES ('old', 1, 2);
      INSERT INTO runs (workload_id, run_id, rank, first_seen, last_seen) VALUES (1, 'r', 0, 1, 2);
      INSERT INTO metric_names (workload_id, name) VALUES (1, 'loss'), (1, 'lr');
      INSERT INTO series (workload_id, run_pk, metric_id) VALUES (1, 1, 1), (1, 1, 2)`);
    const steps = Array.from({ length: 1000 }, (_, i) => i * 2); // steps 0..1998, every other one
    await pool.query('INSERT INTO points SELECT 1, s, v, 1e9 + s FROM unnest($1::bigint[], $2::float8[]) AS u(s, v)', [
      steps,
      steps.map((s) => String(value(s))),
    ]);
    await pool.query('INSERT INTO points SELECT 2, s, 0.5, 1e9 + s FROM generate_series(0, 599) AS s');
    await pool.query(`UPDATE series s SET count = a.n, fmin = a.lo, fmax = a.hi, last_step = a.ls,
        last_value = (SELECT value FROM points WHERE series_id = s.id AND step = a.ls),
        last_time = (SELECT wall_time FROM points WHERE series_id = s.id AND step = a.ls)
      FROM (SELECT series_id, count(*) AS n, max(step) AS ls,
              min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS lo,
              max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS hi FROM points GROUP BY 1) a
      WHERE s.id = a.series_id;
      UPDATE runs SET points = 1600, last_step = 1998; UPDATE workloads SET points = 1600, last_step = 1998`);

    assert.deepEqual(
      await applyMigrations(pool),
      MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version),
    );
    const store = await openStore(db.url);
    try {
      const [s] = await store.querySeries({ workload_uid: 'old', name: 'loss', max_points: 100_000 });
      assert.deepEqual(
        s?.points,
        steps.map((st) => [st, value(st), 1e9 + st]),
      );
      assert.equal((await store.getWorkload('old'))?.points, 1600);
      await assertPgDerivedDataConsistent(db.url);

      // The version-1 replica: new steps, one changed value, one identical re-delivery. Its
      // statement reports nothing changed (so it leaves the counters alone); the trigger did it all.
      const v1 = await pool.query(V1_POINTS_UPSERT, [
        [1, 1, 1, 1],
        [1, 2, 4, 2001],
        ['-5', '0.25', String(value(4)), '3'],
        [1e9 + 1, 1e9 + 2, 1e9 + 4, 1e9 + 2001],
      ]);
      assert.deepEqual(v1.rows, []);
      const [after] = await store.querySeries({ workload_uid: 'old', name: 'loss', from_step: 0, to_step: 4, max_points: 100 });
      assert.deepEqual(after?.points, [
        [0, value(0), 1e9],
        [1, -5, 1e9 + 1],
        [2, 0.25, 1e9 + 2],
        [4, value(4), 1e9 + 4],
      ]);
      const w = await store.getWorkload('old');
      assert.deepEqual([w?.points, w?.last_step], [1602, 2001]);
      await assertPgDerivedDataConsistent(db.url);
      // Its retention would recompute from the version-1 tables: refused until the rollout is over.
      await assert.rejects(pool.query('DELETE FROM points WHERE wall_time < 0'), /retention runs on replicas at version 4/);
    } finally {
      await store.close();
    }
  } finally {
    await pool.end();
    await db.drop();
  }
});
