// PostgreSQL for tests. scripts/run-tests.mjs starts one throw-away cluster for the whole run
// and passes its port in LENS_TEST_PG_PORT; a test file run on its own starts a private one
// and removes it when the process exits. Every caller gets a database of its own.
import assert from 'node:assert/strict';
import pg from 'pg';
import { type Cluster, startCluster } from '../../scripts/pg-cluster.mjs';
import { MIGRATIONS } from '../../src/store/pg/migrations.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

let shared: Promise<(db: string) => string> | null = null;

function sharedCluster(): Promise<(db: string) => string> {
  if (shared === null) {
    const port = process.env.LENS_TEST_PG_PORT;
    shared = port
      ? Promise.resolve((db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`)
      : privateCluster().then((c) => c.url);
  }
  return shared;
}

/** A cluster of this process alone (for tests that stop or restart the server). */
export async function privateCluster(): Promise<Cluster> {
  const c = await startCluster();
  process.on('exit', () => c.destroy());
  return c;
}

let counter = 0;

/** A fresh, empty database on the shared cluster, or on `cluster` when given. */
export async function createDatabase(cluster?: Cluster): Promise<TestDatabase> {
  const url = cluster ? cluster.url : await sharedCluster();
  const name = `lens_${process.pid}_${++counter}`;
  await sql(url('postgres'), `CREATE DATABASE ${name}`);
  return {
    url: url(name),
    name,
    drop: async () => {
      await sql(url('postgres'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** One statement on a connection of its own; its rows. */
export async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

/** schema_migrations holds every migration exactly once (however many processes raced to apply them). */
export async function assertEachMigrationOnce(url: string): Promise<void> {
  const rows = await sql<{ version: number; n: number }>(
    url,
    'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version',
  );
  assert.deepEqual(
    rows,
    MIGRATIONS.map((m) => ({ version: m.version, n: 1 })),
  );
}
