import type Database from 'better-sqlite3';
import { type Migration, oldestFirst } from '../migration.js';
import { MIGRATIONS } from './migrations.js';

/** Applies every migration newer than the recorded version, each in its own transaction. */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of oldestFirst(migrations)) {
    // IMMEDIATE takes the write lock before the check, so two processes starting on the
    // same file cannot both apply the same migration.
    const ran = db
      .transaction((): boolean => {
        if (isApplied.get(m.version) !== undefined) return false;
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now() / 1000);
        return true;
      })
      .immediate();
    if (ran) done.push(m.version);
  }
  return done;
}
