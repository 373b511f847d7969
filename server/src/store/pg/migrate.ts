// Applies pending migrations once, even when several replicas start at the same moment:
// the runner holds a session advisory lock, so the others wait, then find nothing to do.
// Each migration runs in its own transaction with its schema_migrations row.
import type pg from 'pg';
import { type Migration, oldestFirst } from '../migration.js';
import { MIGRATION_LOCK, transactionOn, withAdvisoryLock } from './connection.js';
import { MIGRATIONS } from './migrations.js';

export async function applyMigrations(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const done = await withAdvisoryLock(pool, MIGRATION_LOCK, true, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at float8 NOT NULL)`);
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const done: number[] = [];
    for (const m of oldestFirst(migrations)) {
      if (applied.has(m.version)) continue;
      await transactionOn(client, async (c) => {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now() / 1000,
        ]);
      });
      done.push(m.version);
    }
    return done;
  });
  return done ?? [];
}
