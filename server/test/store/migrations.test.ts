// SQLite migrations are versioned, applied once, and safe to run again or from two processes
// (pg-migrations.test.ts is the PostgreSQL twin).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { batch, openInChild, tempStore, withStore } from './helpers.js';

function versions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
  } finally {
    db.close();
  }
}

test('migrate() is idempotent and reopening does not re-apply anything', () =>
  withStore('sqlite', async (t) => {
    await t.store.writeMetrics(batch({ points: [{ name: 'loss', step: 1, value: 1, wall_time: 1 }] }));
    await t.store.migrate();
    await t.store.migrate();
    const store = await t.reopen();
    await store.migrate();
    assert.deepEqual(
      versions(t.url),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal((await store.getWorkload('w1'))?.points, 1);
  }));

test('a new migration is applied on top of an existing database, once', () =>
  withStore('sqlite', async (t) => {
    await t.store.close();
    const extra = [...MIGRATIONS, { version: 999, name: 'test column', sql: 'ALTER TABLE runs ADD COLUMN note TEXT' }];
    const db = new Database(t.url);
    try {
      assert.deepEqual(applyMigrations(db, extra), [999]);
      assert.deepEqual(applyMigrations(db, extra), []);
      const cols = db.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all();
      assert.ok(cols.includes('note'));
    } finally {
      db.close();
    }
    t.store = await openStore(t.url);
  }));

test('a failing migration rolls back completely and is not recorded', () =>
  withStore('sqlite', async (t) => {
    await t.store.close();
    const db = new Database(t.url);
    try {
      const bad = [
        ...MIGRATIONS,
        { version: 1000, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;' },
      ];
      assert.throws(() => applyMigrations(db, bad), /no_such_table/);
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
    } finally {
      db.close();
    }
    assert.deepEqual(
      versions(t.url),
      MIGRATIONS.map((m) => m.version),
    );
    t.store = await openStore(t.url);
  }));

test('two processes opening a fresh file at once both succeed and migrate once', async () => {
  const t = await tempStore();
  const fresh = `${t.url}.fresh.db`;
  try {
    const run = (): Promise<string> => openInChild(fresh, 30_000);
    assert.deepEqual(await Promise.all([run(), run()]), ['ok', 'ok']);
    assert.deepEqual(
      versions(fresh),
      MIGRATIONS.map((m) => m.version),
    );
  } finally {
    await t.cleanup();
  }
});

test('openStore accepts :memory:', async () => {
  const s = await openStore(':memory:');
  try {
    await s.writeMetrics(batch({ points: [{ name: 'a', step: 0, value: 1, wall_time: 1 }] }));
    assert.equal((await s.getWorkload('w1'))?.points, 1);
    assert.equal(await s.ping(), true);
  } finally {
    await s.close();
  }
  assert.equal(await s.ping(), false);
});
