// `node dist/src/backup.js <destination> [--keep N]`: an online backup of the SQLite database named by
// LENS_DATABASE_URL, safe while the server runs and ingests (see store/sqlite/backup.ts).
// One line on success, one line naming the problem otherwise; exit status 0, 1 (failed) or
// 2 (usage). PostgreSQL has its own tools for this (pg_dump, base backups with WAL archiving).
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { isPostgresUrl, sqlitePathOf } from './store/index.js';
import { backupSqliteFile } from './store/sqlite/backup.js';

function fail(code: number, message: string): never {
  process.stderr.write(`primus-lens backup: ${message}\n`);
  process.exit(code);
}

const USAGE = 'usage: node dist/src/backup.js <destination file or folder> [--keep N] (the database is LENS_DATABASE_URL)';
const args = process.argv.slice(2);
const target = args[0];
let keep: number | null = null;
if (args.length === 3 && args[1] === '--keep' && /^[1-9][0-9]*$/.test(args[2] ?? '')) keep = Number(args[2]);
else if (args.length !== 1) fail(2, USAGE);
if (target === undefined || target === '' || target.startsWith('--')) fail(2, USAGE);
// A folder gets a new time-stamped copy per run (a CronJob's volume); --keep prunes old ones.
const isFolder = existsSync(target) && statSync(target).isDirectory();
if (keep !== null && !isFolder) fail(2, `--keep needs a destination folder; ${target} is not one`);
const destination = isFolder ? join(target, `lens-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}.db`) : target;
let url = '';
try {
  url = loadConfig(process.env).databaseUrl;
} catch (err) {
  fail(2, err instanceof ConfigError ? err.message : String(err));
}
if (isPostgresUrl(url)) {
  fail(2, 'LENS_DATABASE_URL is PostgreSQL: back it up with pg_dump or a base backup and WAL archiving');
}
const source = sqlitePathOf(url);
if (source === ':memory:') fail(2, 'LENS_DATABASE_URL is :memory:; there is no file to back up');
try {
  const result = backupSqliteFile(source, destination);
  process.stdout.write(
    `primus-lens backup: ${result.source} -> ${result.destination} (${result.bytes} bytes, ${result.ms} ms)\n`,
  );
  if (keep !== null) {
    // The names sort by time; only our own copies are ever removed.
    const copies = readdirSync(target)
      .filter((name) => /^lens-\d{8}T\d{6}Z\.db$/.test(name))
      .sort();
    for (const name of copies.slice(0, Math.max(0, copies.length - keep))) {
      rmSync(join(target, name), { force: true });
      process.stdout.write(`primus-lens backup: removed ${join(target, name)} (keeping the newest ${keep})\n`);
    }
  }
} catch (err) {
  fail(1, `${source} -> ${destination}: ${err instanceof Error ? err.message : String(err)}`);
}
