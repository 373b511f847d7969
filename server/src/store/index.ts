// Entry point of the storage layer: pick a backend from LENS_DATABASE_URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store, StoreOptions } from './types.js';

export * from './types.js';

/**
 * `url` is LENS_DATABASE_URL: a SQLite file path (parent folders are created),
 * `sqlite:<path>`, `:memory:`, or `postgres://…` (not yet supported).
 * The returned store is migrated and ready.
 */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error('LENS_DATABASE_URL: PostgreSQL is not yet supported; use a SQLite file path or :memory:');
  }
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (path.length === 0) throw new Error('LENS_DATABASE_URL is empty');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return SqliteStore.open(path, opts);
}
