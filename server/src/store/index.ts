// Entry point of the storage layer: pick a backend from LENS_DATABASE_URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PgStore } from './pg/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store, StoreOptions } from './types.js';

export * from './types.js';

/**
 * `url` is LENS_DATABASE_URL: a SQLite file path (parent folders are created),
 * `sqlite:<path>`, `:memory:`, or `postgres://…` / `postgresql://…` (node-postgres also
 * reads PG* variables and `?sslmode=`). The returned store is migrated and ready.
 */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(url)) return PgStore.open(url, opts);
  const path = sqlitePathOf(url);
  if (path.length === 0) throw new Error('LENS_DATABASE_URL is empty');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return SqliteStore.open(path, opts);
}

/** The file (or `:memory:`) a SQLite LENS_DATABASE_URL names. */
export function sqlitePathOf(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
