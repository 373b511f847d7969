// Measures the two SQLite drivers a Node server can use, on the shape the SQLite store writes and
// reads: better-sqlite3 (native add-on) and Node's built-in node:sqlite. Same file settings as the
// store (WAL, synchronous=NORMAL), the points table WITHOUT ROWID keyed (series_id, step).
//
//   node bench/drivers/sqlite_drivers.mjs [--points 1000000] [--reps 5] [--only node:sqlite]
//
// On a busy machine wall-clock rates swing; instruction counts do not: run each driver alone
// under `valgrind --tool=callgrind` (bench/drivers/instructions.sh) for a repeatable comparison.
// Prints one JSON line per (driver, phase, rep) and a median summary. Reps alternate the drivers
// so that load on the machine falls on both alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../server/package.json', import.meta.url));
const BetterSqlite = require('better-sqlite3');
const { DatabaseSync } = await import('node:sqlite');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const POINTS = arg('points', 1_000_000);
// --only <driver> runs one driver, for instruction counts under callgrind (one process each).
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const REPS = arg('reps', 5);
const SERIES = 64;
const TX_POINTS = 25_000; // the store's largest commit

const SCHEMA = `
  PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
  CREATE TABLE points (series_id INTEGER NOT NULL, step INTEGER NOT NULL, value REAL, wall_time REAL NOT NULL,
    PRIMARY KEY (series_id, step)) WITHOUT ROWID;`;

const drivers = {
  'better-sqlite3': (file) => {
    const db = new BetterSqlite(file);
    db.exec(SCHEMA);
    return {
      insert: db.prepare('INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?)'),
      range: db.prepare('SELECT step, value FROM points WHERE series_id = ? AND step >= ? AND step < ?').raw(),
      one: db.prepare('SELECT value FROM points WHERE series_id = ? AND step = ?').raw(),
      begin: () => db.exec('BEGIN'),
      commit: () => db.exec('COMMIT'),
      rows: (stmt, ...a) => stmt.all(...a),
      get: (stmt, ...a) => stmt.get(...a),
      close: () => db.close(),
    };
  },
  'node:sqlite': (file) => {
    const db = new DatabaseSync(file);
    db.exec(SCHEMA);
    const range = db.prepare('SELECT step, value FROM points WHERE series_id = ? AND step >= ? AND step < ?');
    range.setReturnArrays?.(true);
    const one = db.prepare('SELECT value FROM points WHERE series_id = ? AND step = ?');
    one.setReturnArrays?.(true);
    return {
      insert: db.prepare('INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?)'),
      range,
      one,
      begin: () => db.exec('BEGIN'),
      commit: () => db.exec('COMMIT'),
      rows: (stmt, ...a) => stmt.all(...a),
      get: (stmt, ...a) => stmt.get(...a),
      close: () => db.close(),
    };
  },
};

function once(name, dir) {
  const d = drivers[name](join(dir, `${name.replace(/\W/g, '_')}.db`));
  const perSeries = Math.floor(POINTS / SERIES);
  const total = perSeries * SERIES;
  let t = process.hrtime.bigint();
  let n = 0;
  d.begin();
  // Interleaved across series, as concurrent runs arrive.
  for (let step = 0; step < perSeries; step++) {
    for (let s = 0; s < SERIES; s++) {
      d.insert.run(s, step, Math.sin(step) * 0.5, 1.7e9 + step);
      if (++n % TX_POINTS === 0) {
        d.commit();
        d.begin();
      }
    }
  }
  d.commit();
  const insertS = Number(process.hrtime.bigint() - t) / 1e9;

  t = process.hrtime.bigint();
  let read = 0;
  for (let s = 0; s < SERIES; s++) read += d.rows(d.range, s, 0, perSeries).length;
  const scanS = Number(process.hrtime.bigint() - t) / 1e9;

  const lookups = 200_000;
  t = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) d.get(d.one, i % SERIES, (i * 7919) % perSeries);
  const lookupS = Number(process.hrtime.bigint() - t) / 1e9;
  d.close();
  if (read !== total) throw new Error(`${name}: read ${read} of ${total}`);
  return {
    insert_points_per_s: total / insertS,
    scan_points_per_s: total / scanS,
    lookups_per_s: lookups / lookupS,
  };
}

const results = {};
for (let rep = 0; rep < REPS; rep++) {
  const names = Object.keys(drivers).filter((n) => ONLY === null || n === ONLY);
  const order = rep % 2 === 0 ? names : names.reverse();
  for (const name of order) {
    const dir = mkdtempSync(join(tmpdir(), 'lens-drv-'));
    try {
      const r = once(name, dir);
      (results[name] ??= []).push(r);
      console.log(JSON.stringify({ driver: name, rep, ...r }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {};
for (const [name, rs] of Object.entries(results)) {
  summary[name] = Object.fromEntries(Object.keys(rs[0]).map((k) => [k, Math.round(median(rs.map((r) => r[k])))]));
}
const [a, b] = Object.keys(summary);
if (b === undefined) {
  console.log(JSON.stringify({ node: process.version, points: POINTS, reps: REPS, median: summary }));
  process.exit(0);
}
const ratios = Object.fromEntries(Object.keys(summary[a]).map((k) => [k, +(summary[b][k] / summary[a][k]).toFixed(3)]));
console.log(JSON.stringify({ node: process.version, points: POINTS, reps: REPS, median: summary, [`${b}/${a}`]: ratios }));
