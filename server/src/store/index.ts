// Entry point of the storage layer: pick a backend from LENS_DATABASE_URL.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PgStore } from './pg/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { StoreOpenError } from './store-errors.js';
import type { Store, StoreOptions } from './types.js';

export * from './types.js';

/**
 * `url` is LENS_DATABASE_URL: a SQLite file path (parent folders are created),
 * `sqlite:<path>`, `:memory:`, or `postgres://…` / `postgresql://…` (node-postgres also
 * reads PG* variables and `?sslmode=`). The returned store is migrated and ready.
 */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(url)) {
    try {
      return await PgStore.open(url, opts);
    } catch (err) {
      throw new StoreOpenError(
        redactUrl(url),
        `cannot connect and migrate (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  const path = sqlitePathOf(url);
  if (path.length === 0) throw new StoreOpenError('', 'empty; give a SQLite file path or a postgres:// URL');
  if (path === ':memory:') return SqliteStore.open(path, opts);
  prepareSqlitePath(path);
  try {
    return SqliteStore.open(path, opts);
  } catch (err) {
    throw new StoreOpenError(path, `cannot open it as a SQLite database (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Creates the file's missing parent folders one level at a time and names the path when that is
 * impossible. Node's recursive mkdir never returns for some paths under /proc, so the server
 * would spin without listening; a folder at the file's path would fail later, and less clearly.
 */
function prepareSqlitePath(path: string): void {
  const file = resolve(path);
  const missing: string[] = [];
  let folder = dirname(file);
  while (!existsSync(folder)) {
    missing.unshift(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  if (!statSync(folder).isDirectory()) throw new StoreOpenError(path, `${folder} is not a folder`);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      throw new StoreOpenError(path, `cannot create the folder ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new StoreOpenError(path, `is a folder; give the path of the database file inside it, e.g. ${join(path, 'lens.db')}`);
  }
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch {
    throw new StoreOpenError(path, `the folder ${dirname(file)} is not writable by this process`);
  }
}

/** The file (or `:memory:`) a SQLite LENS_DATABASE_URL names. */
export function sqlitePathOf(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

/** A PostgreSQL URL may carry a password; logs and errors show everything else. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
