// PostgreSQL migrations: versioned, applied once, safe to run again, rolled back whole when
// one fails, and applied exactly once when several processes start on an empty database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/pg/migrate.js';
import { MIGRATIONS } from '../../src/store/pg/migrations.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { createDatabase } from '../support/pg.js';
import { batch } from './helpers.js';

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

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
    assert.deepEqual(await versions(db.url), MIGRATIONS.map((m) => m.version));
  } finally {
    await db.drop();
  }
});

test('a new migration is applied once on top; a failing one rolls back and is not recorded', async () => {
  const db = await createDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    assert.deepEqual(await applyMigrations(pool), MIGRATIONS.map((m) => m.version));
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
    const script = `import { openStore } from ${JSON.stringify(new URL('../../src/store/index.ts', import.meta.url).href)};
      const s = await openStore(process.argv[1]); await s.close(); console.log('ok');`;
    const run = (): Promise<string> => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, db.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out.trim());
        else reject(new Error(`child exited ${code}: ${out}`));
      });
    });
    assert.deepEqual(await Promise.all([run(), run(), run(), run()]), ['ok', 'ok', 'ok', 'ok']);
    const rows = await sql<{ version: number; n: number }>(db.url, 'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version');
    assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  } finally {
    await db.drop();
  }
});
