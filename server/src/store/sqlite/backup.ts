// An online copy of a SQLite database file, taken while the server keeps writing to it.
//
// `VACUUM INTO` rather than SQLite's page-by-page backup API: the backup API starts over every
// time another connection writes to the source, so under steady ingest it may never finish;
// `VACUUM INTO` reads one consistent snapshot inside a single read transaction (WAL lets the
// server's writes go on meanwhile) and writes a compact, self-contained file. Everything
// committed before the copy began is in it. The copy is written next to the destination and
// renamed into place, so a failed or interrupted backup never leaves a half file under the name.

import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface BackupResult {
  source: string;
  destination: string;
  bytes: number;
  ms: number;
}

export function backupSqliteFile(source: string, destination: string): BackupResult {
  if (!existsSync(source)) throw new Error(`no SQLite database at ${source}`);
  const started = performance.now();
  const partial = `${destination}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000'); // the server may be checkpointing; wait rather than fail
    db.prepare('VACUUM INTO ?').run(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  renameSync(partial, destination);
  return { source, destination, bytes: statSync(destination).size, ms: Math.round(performance.now() - started) };
}
